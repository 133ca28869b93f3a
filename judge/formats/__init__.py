"""Problem package formats: a registry of loaders and auto-detection.

``FORMATS`` maps a format name to a :class:`PackageFormat` (``detect(path) -> bool`` and
``load(path) -> Problem``).  :func:`load_problem` picks the first format whose ``detect`` accepts the
folder (Kattis before Themis, since a Kattis package is recognised by its ``problem.yaml``) and
also accepts a ``.zip``/``.kpp`` file, extracted safely (see :mod:`judge.formats.archive`) into
``extract_to`` or a fresh temporary folder removed at process exit (long-running processes should
pass ``extract_to`` or use :func:`judge.formats.archive.extract_zip` themselves).  To add a format, write a module with ``detect`` and
``load`` and call :func:`register`.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from judge.formats import archive, kattis, themis
from judge.formats.common import render_statement
from judge.problem import Problem, ProblemError

__all__ = ["FORMATS", "PackageFormat", "register", "detect_format", "load_problem", "render_statement"]


@dataclass(frozen=True)
class PackageFormat:
    name: str
    detect: Callable[[Path], bool]
    load: Callable[[Path], Problem]
    description: str = ""


FORMATS: dict[str, PackageFormat] = {}


def register(fmt: PackageFormat) -> PackageFormat:
    FORMATS[fmt.name] = fmt
    return fmt


register(PackageFormat("kattis", kattis.detect, kattis.load, "Kattis problem package (legacy, 2023-07)"))
register(PackageFormat("themis", themis.detect, themis.load, "Themis task folder (TASK/Test01/TASK.INP)"))


def detect_format(path: str | Path) -> str:
    path = Path(path)
    for fmt in FORMATS.values():
        if fmt.detect(path):
            return fmt.name
    raise ProblemError(
        f"{path}: not a problem package this judge knows "
        f"({'; '.join(f.name + ': ' + f.description for f in FORMATS.values())})"
    )


def load_problem(path: str | Path, format: str | None = None, *, extract_to: str | Path | None = None) -> Problem:
    """Load the package at ``path`` (a folder or a zip file) into a :class:`Problem`."""
    path = Path(path)
    if not path.exists():
        raise ProblemError(f"{path}: no such file or folder")
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ProblemError(f"{path}: a package must be a folder or a zip file")
        if extract_to:
            dest = Path(extract_to)
        else:  # a private temporary folder, removed when the process exits
            dest = Path(tempfile.mkdtemp(prefix="pkg-"))
            atexit.register(shutil.rmtree, dest, True)
        archive.extract_zip(path, dest)
        path = archive.package_root(dest)
    if format is None:
        format = detect_format(path)
    if format not in FORMATS:
        raise ProblemError(f"unknown package format {format!r} (known: {', '.join(FORMATS)})")
    return FORMATS[format].load(path)
