"""Checks for uploaded files, by CONTENT: a file's name and the browser's content type prove nothing.

No Flask and no sentences here: every refusal is an `UploadRefused(code, **params)`; the web layer
(services/creative_entries.py) turns the code into a message for people.

Kinds (the registry `KINDS`):
    description  PDF            first bytes "%PDF-"
    product      zip archive    a readable zip whose every member passes `zip_problem`
    sb3          Scratch 3      a zip as above with "project.json" at its root
    image        PNG or JPEG    "\\x89PNG\\r\\n\\x1a\\n" or "\\xff\\xd8\\xff"

A zip member is refused when its path is absolute ("/x", "\\\\x", "C:x"), has a ".." part, contains a
NUL, or is a symbolic link (Unix mode S_IFLNK in the high 16 bits of external_attr); the archive is
refused when it has more than ZIP_MAX_MEMBERS members or their declared uncompressed sizes add up to
more than ZIP_MAX_UNCOMPRESSED bytes. Nothing is ever extracted.

Stored names are random (`new_stored_name`); the name a person gave is kept only for display and
download, after `safe_filename`.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

ZIP_MAX_MEMBERS = 10_000
ZIP_MAX_UNCOMPRESSED = 2 * 1024**3  # 2 GiB declared, summed over members
MAX_NAME_CHARS = 120
CHUNK = 1024 * 1024


class UploadRefused(Exception):
    """A refused upload: `code` names the reason, `params` fill the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


# -- names -----------------------------------------------------------------------------------------
def safe_filename(name: str | None, fallback: str = "tep") -> str:
    """The last path component of `name` (either slash), Unicode NFC, without control characters
    (NUL included), quotes or characters Windows refuses, no leading dots, at most MAX_NAME_CHARS
    characters (the extension kept). Vietnamese letters stay. Empty -> `fallback`."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*;]', "_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name:
        return fallback
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            name = name[:MAX_NAME_CHARS].rstrip(" .")
    return name or fallback


def new_stored_name() -> str:
    """A random name for the file on disk (never derived from the user's name)."""
    return secrets.token_hex(16)


# -- content checks --------------------------------------------------------------------------------
def _head(path: Path, n: int = 16) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)


def zip_problem(info: zipfile.ZipInfo) -> str | None:
    """Why this zip member is unsafe (a code), or None."""
    name = info.filename
    if "\x00" in name:
        return "zip_bad_name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or re.match(r"^[A-Za-z]:", norm):
        return "zip_absolute_path"
    if ".." in norm.split("/"):
        return "zip_parent_path"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "zip_symlink"
    return None


def check_zip(path: Path, require: str | None = None) -> None:
    """Raise UploadRefused unless `path` is a readable zip with only safe members (and `require` at
    its root, when given)."""
    if _head(path, 4) not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise UploadRefused("not_zip")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise UploadRefused("bad_zip")
    if len(infos) > ZIP_MAX_MEMBERS:
        raise UploadRefused("zip_too_many", count=len(infos), limit=ZIP_MAX_MEMBERS)
    total = 0
    for info in infos:
        code = zip_problem(info)
        if code:
            raise UploadRefused(code, member=info.filename.replace("\x00", "\\0")[:200])
        total += info.file_size
    if total > ZIP_MAX_UNCOMPRESSED:
        raise UploadRefused("zip_too_big", size=total, limit=ZIP_MAX_UNCOMPRESSED)
    if require and require not in {i.filename for i in infos}:
        raise UploadRefused("sb3_no_project")


def _check_pdf(path: Path) -> None:
    if not _head(path, 5) == b"%PDF-":
        raise UploadRefused("not_pdf")


def _check_image(path: Path) -> None:
    head = _head(path, 8)
    if not (head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")):
        raise UploadRefused("not_image")


@dataclass(frozen=True)
class FileKind:
    name: str
    extensions: tuple[str, ...]  # the first one is appended to a download name that lacks any of them
    check: Callable[[Path], None]


KINDS: dict[str, FileKind] = {
    "description": FileKind("description", (".pdf",), _check_pdf),
    "product": FileKind("product", (".zip",), lambda p: check_zip(p)),
    "sb3": FileKind("sb3", (".sb3",), lambda p: check_zip(p, require="project.json")),
    "image": FileKind("image", (".png", ".jpg", ".jpeg"), _check_image),
}


def download_name(kind: str, original: str) -> str:
    """The name offered on download: the safe original name, with the kind's extension when it has
    none of the kind's extensions (a PDF called "x.exe" is offered as "x.exe.pdf")."""
    name = safe_filename(original)
    exts = KINDS[kind].extensions
    if not name.lower().endswith(exts):
        name += exts[0]
    return name


# -- storing ---------------------------------------------------------------------------------------
@dataclass
class StagedFile:
    """A checked upload in a temporary file of the store's directory, not yet in place."""

    kind: str
    original_name: str
    temp_path: Path
    size: int
    sha256: str
    stored_name: str = ""

    def discard(self) -> None:
        self.temp_path.unlink(missing_ok=True)


def stage(stream: BinaryIO, kind: str, filename: str | None, directory: Path, max_bytes: int) -> StagedFile:
    """Copy `stream` into a temporary file in `directory` (same file system as the final place, so
    that placing it is an atomic rename), refusing it as soon as it exceeds `max_bytes`; then check the
    content against `kind`. On refusal the temporary file is removed and UploadRefused raised."""
    if kind not in KINDS:
        raise UploadRefused("bad_kind", kind=kind, kinds=", ".join(KINDS))
    directory.mkdir(parents=True, exist_ok=True)
    temp = directory / f".upload-{secrets.token_hex(8)}.part"
    digest = hashlib.sha256()
    size = 0
    try:
        with open(temp, "xb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise UploadRefused("file_too_big", limit=max_bytes)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadRefused("empty")
        KINDS[kind].check(temp)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return StagedFile(kind, safe_filename(filename), temp, size, digest.hexdigest())


def place(staged: StagedFile, directory: Path) -> Path:
    """Move a staged file to its random final name in `directory` (atomic rename); return the path."""
    staged.stored_name = new_stored_name()
    final = directory / staged.stored_name
    os.replace(staged.temp_path, final)
    staged.temp_path = final
    return final
