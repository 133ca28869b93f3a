"""The built-in checkers (no sandbox needed)."""
from __future__ import annotations

import pytest

from judge.checkers import CHECKERS, CheckContext, CheckerError, get_checker


@pytest.fixture
def answer(tmp_path):
    def make(text: bytes):
        p = tmp_path / "ans"
        p.write_bytes(text)
        return p

    return make


@pytest.mark.parametrize("output, ok", [
    (b"1 2\n3\n", True),
    (b"  1\t2\r\n3", True),
    (b"1\n2\n3\n\n\n", True),
    (b"1 2 3 4", False),
    (b"1 2", False),
    (b"1 2 03", False),
    (b"", False),
])
def test_default_is_token_based(answer, output, ok):
    res = CHECKERS["default"](None, answer(b"1 2\n3\n"), output, {}, CheckContext())
    assert res.accepted is ok
    assert res.score == (1.0 if ok else 0.0)
    assert isinstance(res, tuple) and len(res) == 3


def test_default_explains_the_difference(answer):
    res = CHECKERS["default"](None, answer(b"1 2 3"), b"1 5 3", {}, CheckContext())
    assert "token 2" in res.message and "'2'" in res.message and "'5'" in res.message


@pytest.mark.parametrize("output, ok", [
    (b"a b\nc\n", True),
    (b"a b\r\nc", True),
    (b"a  b\nc\n", False),
    (b"a b\n\nc\n", False),
    (b"a b\nc \n", False),
])
def test_exact(answer, output, ok):
    assert CHECKERS["exact"](None, answer(b"a b\nc\n"), output, {}, CheckContext()).accepted is ok


def test_unknown_checker_and_missing_answer_are_judge_faults(tmp_path):
    with pytest.raises(CheckerError):
        get_checker("no-such-checker")
    with pytest.raises(CheckerError):
        CHECKERS["default"](None, tmp_path / "missing", b"", {}, CheckContext())


PEAK = """
import sys, types
from judge.checkers import CHECKERS, CheckContext
from pathlib import Path
kattis = sys.argv[3] == "kattis"
problem = types.SimpleNamespace(format="kattis" if kattis else "test",
                                checker=types.SimpleNamespace(args=None))
ctx = CheckContext(problem=problem, test=types.SimpleNamespace(validator_args=[], group=""))
res = CHECKERS["default"](None, Path(sys.argv[2]), Path(sys.argv[1]), {}, ctx)
# VmHWM: the high-water mark of this image (ru_maxrss would include the forking pytest's RSS)
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1]
print(int(res.accepted), hwm)
"""


@pytest.mark.parametrize("mode, mib", [("tokens", 60), ("kattis", 16)])
def test_default_checker_memory_is_bounded_by_the_token_not_the_output(tmp_path, mode, mib):
    # `mib` MiB of one-byte tokens, in the output and in the answer, the last token different:
    # reading them whole and splitting them took ~9 bytes per output byte (60 MiB: 554 MiB of
    # worker memory for plain tokens, 1.1 GB with the Kattis flags' comparison)
    import subprocess
    import sys
    from pathlib import Path

    out, ans = tmp_path / "out", tmp_path / "ans"
    with open(out, "wb") as fo, open(ans, "wb") as fa:
        for _ in range(mib):
            fo.write(b"1 " * (1 << 19))
            fa.write(b"1 " * (1 << 19))
        fo.write(b"2\n")
        fa.write(b"3\n")
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-c", PEAK, str(out), str(ans), mode], cwd=root,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    accepted, peak_kib = map(int, proc.stdout.split())
    assert accepted == 0  # it read to the very last token
    assert peak_kib < 64 * 1024, f"{peak_kib} KiB"
