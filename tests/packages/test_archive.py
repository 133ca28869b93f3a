import io
import stat
import zipfile

import pytest

from judge.formats import load_problem
from judge.formats.archive import extract_zip, package_root
from judge.problem import ProblemError


def _zip(entries: list[tuple[str, bytes]], symlink: str | None = None) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    buf.seek(0)
    return buf


def test_extracts_a_package_folder(tmp_path):
    buf = _zip([("sum/Test01/SUM.INP", b"1 2\n"), ("sum/Test01/SUM.OUT", b"3\n")])
    dest = extract_zip(buf, tmp_path / "x")
    assert (dest / "sum/Test01/SUM.INP").read_bytes() == b"1 2\n"
    assert package_root(dest).name == "sum"


@pytest.mark.parametrize(
    "name, words",
    [("../evil.txt", "'..'"), ("a/../../evil.txt", "'..'"), ("/etc/evil", "absolute"), ("C:/evil", "absolute")],
)
def test_refuses_escaping_paths(tmp_path, name, words):
    buf = _zip([("ok.txt", b"x"), (name, b"bad")])
    with pytest.raises(ProblemError) as exc:
        extract_zip(buf, tmp_path / "x")
    assert name in str(exc.value) and words in str(exc.value)
    assert not (tmp_path / "x" / "ok.txt").exists()  # nothing is written when an entry is refused
    assert not (tmp_path / "evil.txt").exists()


def test_refuses_symlinks(tmp_path):
    with pytest.raises(ProblemError, match="link.*symlink refused"):
        extract_zip(_zip([("a.txt", b"x")], symlink="link"), tmp_path / "x")


def test_refuses_too_many_files(tmp_path):
    buf = _zip([(f"f{i}.txt", b"x") for i in range(6)])
    with pytest.raises(ProblemError, match=r"6 entries.*limit of 5.*f5\.txt"):
        extract_zip(buf, tmp_path / "x", max_files=5)


def test_refuses_too_many_bytes(tmp_path):
    buf = _zip([("small.txt", b"x" * 10), ("big.bin", b"\0" * (3 * 1024 * 1024))])
    with pytest.raises(ProblemError, match="big.bin.*exceeds the limit of 2 MiB"):
        extract_zip(buf, tmp_path / "x", max_bytes=2 * 1024 * 1024)


def test_lying_size_header_is_caught_while_writing(tmp_path):
    buf = _zip([("big.bin", b"\0" * 200_000)])
    data = bytearray(buf.getvalue())
    # Patch the declared uncompressed size in the central directory to 10 bytes.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (10).to_bytes(4, "little")
    with pytest.raises(ProblemError, match="big.bin"):
        extract_zip(io.BytesIO(bytes(data)), tmp_path / "x", max_bytes=100_000)


def test_not_a_zip(tmp_path):
    f = tmp_path / "p.zip"
    f.write_bytes(b"hello")
    with pytest.raises(ProblemError, match="not a valid zip"):
        extract_zip(f, tmp_path / "x")


def test_load_problem_from_zip(tmp_path):
    buf = _zip([("add/Test01/ADD.INP", b"1 2\n"), ("add/Test01/ADD.OUT", b"3\n")])
    z = tmp_path / "add.zip"
    z.write_bytes(buf.getvalue())
    p = load_problem(z, extract_to=tmp_path / "out")
    assert p.format == "themis" and p.code == "add" and len(p.tests()) == 1
