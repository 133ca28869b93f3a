"""Safe extraction of problem packages uploaded as zip files.

Every entry is checked *before* anything is written: no absolute paths, no ``..`` components,
no symlinks or other special files, at most ``max_files`` entries and ``max_bytes`` bytes once
uncompressed (the sizes declared in the zip are checked first, and the bytes actually written are
counted too, so a lying header cannot get past the limit).  Any violation raises
:class:`~judge.problem.ProblemError` naming the offending entry, and nothing is left behind in
``dest``.

A zip holding a single top-level folder (``sum/problem.yaml`` ...) is the usual way a package is
zipped; :func:`package_root` finds that folder after extraction.
"""
from __future__ import annotations

import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from judge.problem import ProblemError

DEFAULT_MAX_FILES = 5000
DEFAULT_MAX_BYTES = 512 * 1024 * 1024  # 512 MiB uncompressed
_CHUNK = 1 << 16


def _check_name(name: str) -> PurePosixPath:
    if "\\" in name:
        # A backslash is a separator on Windows; refuse instead of guessing.
        name_posix = name.replace("\\", "/")
    else:
        name_posix = name
    if name_posix.startswith("/") or (len(name_posix) > 1 and name_posix[1] == ":"):
        raise ProblemError(f"zip entry {name!r}: absolute path refused")
    p = PurePosixPath(name_posix)
    if any(part == ".." for part in p.parts):
        raise ProblemError(f"zip entry {name!r}: '..' in path refused")
    if "\x00" in name:
        raise ProblemError(f"zip entry {name!r}: NUL byte in name refused")
    return p


def _entry_kind(info: zipfile.ZipInfo) -> str:
    mode = (info.external_attr >> 16) & 0xFFFF
    if mode and stat.S_ISLNK(mode):
        return "symlink"
    if mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)) and stat.S_IFMT(mode):
        return "special"
    return "dir" if info.is_dir() else "file"


def extract_zip(
    source: str | Path | BinaryIO,
    dest: str | Path,
    *,
    max_files: int = DEFAULT_MAX_FILES,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Path:
    """Extract ``source`` (a path or a binary file object) into ``dest`` safely; return ``dest``."""
    dest = Path(dest)
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ProblemError(f"{getattr(source, 'name', source)}: not a valid zip file ({exc})") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > max_files:
            raise ProblemError(
                f"zip has {len(infos)} entries, more than the limit of {max_files} "
                f"(first entry over the limit: {infos[max_files].filename!r})"
            )
        total = 0
        plan: list[tuple[zipfile.ZipInfo, PurePosixPath, str]] = []
        for info in infos:
            rel = _check_name(info.filename)
            kind = _entry_kind(info)
            if kind in ("symlink", "special"):
                raise ProblemError(f"zip entry {info.filename!r}: {kind} refused")
            if info.flag_bits & 0x1:
                raise ProblemError(f"zip entry {info.filename!r}: encrypted entries refused")
            total += info.file_size
            if total > max_bytes:
                raise ProblemError(
                    f"zip entry {info.filename!r}: uncompressed size exceeds the limit of "
                    f"{max_bytes // (1024 * 1024)} MiB"
                )
            plan.append((info, rel, kind))

        dest.mkdir(parents=True, exist_ok=True)
        created_before = set(dest.iterdir())
        root = dest.resolve()
        written = 0
        try:
            for info, rel, kind in plan:
                if not rel.parts or rel == PurePosixPath("."):
                    continue
                target = (root / Path(*rel.parts)).resolve()
                if root != target and root not in target.parents:
                    raise ProblemError(f"zip entry {info.filename!r}: escapes the destination")
                if kind == "dir":
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_symlink() or target.is_dir():
                    raise ProblemError(f"zip entry {info.filename!r}: duplicate or conflicting path")
                try:
                    with zf.open(info) as src, open(target, "wb") as out:
                        while chunk := src.read(_CHUNK):
                            written += len(chunk)
                            if written > max_bytes:
                                raise ProblemError(
                                    f"zip entry {info.filename!r}: uncompressed data exceeds the limit "
                                    f"of {max_bytes // (1024 * 1024)} MiB"
                                )
                            out.write(chunk)
                except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
                    raise ProblemError(f"zip entry {info.filename!r}: corrupt or unsupported ({exc})") from exc
        except BaseException:
            for p in set(dest.iterdir()) - created_before:
                if p.is_dir() and not p.is_symlink():
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink(missing_ok=True)
            raise
    return dest


def package_root(dest: str | Path) -> Path:
    """The package folder inside an extraction: ``dest`` itself, or its single sub-folder."""
    dest = Path(dest)
    entries = [p for p in dest.iterdir() if p.name not in ("__MACOSX",) and not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest
