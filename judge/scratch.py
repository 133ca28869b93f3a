"""Scratch 3 submissions: from an uploaded ``.sb3`` file to the ``project.json`` text that is judged.

A ``.sb3`` is a zip holding ``project.json`` and the media (costumes, sounds). Judging needs only
``project.json``, so that is what a submission stores (:func:`project_from_upload`). The checks,
in this order, each failing with a :class:`ScratchError` whose ``code`` names the rule:

* ``too_large``      the file is over ``max_bytes`` (default :data:`MAX_SB3_BYTES`, 5 MiB; a
                     problem or division may set another value);
* ``not_zip``        not a zip (a corrupt or truncated download, or another kind of file);
* ``no_project``     the zip has no ``project.json`` at its root;
* ``project_too_large`` ``project.json`` unpacks to more than :data:`MAX_PROJECT_BYTES`;
* ``bad_json``       ``project.json`` is not UTF-8 JSON;
* ``not_scratch3``   the JSON is not a Scratch 3 project (no ``targets`` list with a stage; a
                     Scratch 2 project must be saved again from Scratch 3);
* ``extension``      the project uses extensions other than pen; ``params["extensions"]`` names them.

A raw ``project.json`` (not zipped) is accepted too (same checks from ``bad_json`` on). Codes, not
sentences: the web translates them (``webapp.services.submissions``); :meth:`ScratchError.message`
is the English text for the command line and for compile errors.
"""
from __future__ import annotations

import io
import json
import zipfile

MAX_SB3_BYTES = 5 << 20  # default size limit of an uploaded .sb3
MAX_PROJECT_BYTES = 4 << 20  # largest project.json judged (= judge.judging.MAX_SOURCE_BYTES)
ALLOWED_EXTENSIONS = frozenset({"pen"})
# opcode prefixes of Scratch 3's built-in categories (everything else is an extension)
CORE_CATEGORIES = frozenset({"argument", "colour", "control", "data", "event", "looks", "math",
                             "motion", "operator", "procedures", "sensing", "sound"})

_MESSAGES = {
    "too_large": "the .sb3 file is {size} bytes, over the limit of {limit} bytes",
    "not_zip": "not a Scratch 3 .sb3 file (it is not a zip archive)",
    "no_project": "the .sb3 file has no project.json",
    "project_too_large": "project.json is over {limit} bytes",
    "bad_json": "project.json is not valid JSON ({detail})",
    "not_scratch3": "not a Scratch 3 project ({detail})",
    "extension": "extensions other than pen are not allowed: {extensions}",
}


class ScratchError(ValueError):
    """A refused Scratch submission: ``code`` (see the module docstring) and its ``params``."""

    def __init__(self, code: str, **params):
        self.code = code
        self.params = params
        super().__init__(self.message())

    def message(self) -> str:
        return _MESSAGES[self.code].format(**self.params)


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06"


def project_from_upload(data: bytes, max_bytes: int = MAX_SB3_BYTES) -> str:
    """The ``project.json`` text of an uploaded ``.sb3`` (or raw ``project.json``), checked.

    Returns the JSON re-serialised compactly (same content, media left out)."""
    if len(data) > max_bytes:
        raise ScratchError("too_large", size=len(data), limit=max_bytes)
    if not is_zip(data):
        stripped = data.lstrip()
        if stripped.startswith(b"{"):
            return project_from_json(data)
        raise ScratchError("not_zip")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            try:
                info = z.getinfo("project.json")
            except KeyError:
                raise ScratchError("no_project") from None
            if info.file_size > MAX_PROJECT_BYTES:
                raise ScratchError("project_too_large", limit=MAX_PROJECT_BYTES)
            with z.open(info) as f:
                raw = f.read(MAX_PROJECT_BYTES + 1)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, OSError):
        raise ScratchError("not_zip") from None
    except RuntimeError:  # an encrypted member
        raise ScratchError("not_zip") from None
    if len(raw) > MAX_PROJECT_BYTES:
        raise ScratchError("project_too_large", limit=MAX_PROJECT_BYTES)
    return project_from_json(raw)


def project_from_json(raw: bytes | str) -> str:
    """Check a ``project.json`` (bytes or text) and return it compactly re-serialised."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_PROJECT_BYTES:
            raise ScratchError("project_too_large", limit=MAX_PROJECT_BYTES)
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScratchError("bad_json", detail=f"not UTF-8 at byte {exc.start}") from None
    try:
        project = json.loads(raw)
    except ValueError as exc:
        raise ScratchError("bad_json", detail=str(exc)) from None
    check_project(project)
    text = json.dumps(project, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_PROJECT_BYTES:
        raise ScratchError("project_too_large", limit=MAX_PROJECT_BYTES)
    return text


def check_project(project: object) -> None:
    """The structural checks of a parsed project (``not_scratch3``, ``extension``)."""
    if not isinstance(project, dict):
        raise ScratchError("not_scratch3", detail="the top level is not an object")
    if "objName" in project and "targets" not in project:
        raise ScratchError("not_scratch3", detail="a Scratch 2 project; open it in Scratch 3 and save it again")
    targets = project.get("targets")
    if not isinstance(targets, list) or not targets:
        raise ScratchError("not_scratch3", detail="no targets")
    if not all(isinstance(t, dict) for t in targets):
        raise ScratchError("not_scratch3", detail="a target is not an object")
    if not any(t.get("isStage") is True for t in targets):
        raise ScratchError("not_scratch3", detail="no stage")
    for t in targets:
        if not isinstance(t.get("blocks", {}), dict):
            raise ScratchError("not_scratch3", detail=f"the blocks of {t.get('name')!r} are not an object")
    foreign = foreign_extensions(project)
    if foreign:
        raise ScratchError("extension", extensions=", ".join(foreign))


def extensions_used(project: dict) -> list[str]:
    """Extensions a project declares or whose blocks it uses (sorted, without duplicates)."""
    found = {e for e in project.get("extensions") or [] if isinstance(e, str)}
    for t in project.get("targets") or []:
        blocks = t.get("blocks") if isinstance(t, dict) else None
        for b in (blocks or {}).values():
            if isinstance(b, dict) and isinstance(b.get("opcode"), str):
                prefix = b["opcode"].split("_", 1)[0]
                if prefix not in CORE_CATEGORIES:
                    found.add(prefix)
    return sorted(found)


def foreign_extensions(project: dict) -> list[str]:
    """The extensions used other than the allowed ones (pen)."""
    return [e for e in extensions_used(project) if e not in ALLOWED_EXTENSIONS]


def source_from_file(data: bytes) -> str:
    """What a judge command line stores for a ``.sb3`` file (raises :class:`ScratchError`)."""
    return project_from_upload(data, max_bytes=max(MAX_SB3_BYTES, len(data)))
