"""Problem packages by content: stored once in the database, identified by their hash, cached per host.

* Canonical archive: the package folder as a zip whose entries are its files (not __pycache__/*.pyc)
  under `<folder name>/`, sorted by path, every entry dated 1980-01-01 00:00, mode 0644 (0755 when
  executable), deflated at level 6. The same tree gives the same bytes; the package's identity is
  sha256(canonical archive), 64 hex digits (`Problem.package_hash`, `ProblemPackage.sha256`).
* Store: the `problem_package` table holds the archive (`save_package`). Nothing else is shared by the
  web and the workers: no problem folder is mounted anywhere.
* Cache: each host (the web and every worker) keeps extracted packages in PACKAGE_CACHE_DIR (default
  PROBLEMS_DIR/cache) as `<sha256>/<folder name>/`. A host that lacks one (`local_package`) reads the
  archive from the database, checks sha256(archive) == the hash (else PackageError "hash_mismatch":
  nothing is cached), extracts it into a temporary folder of the cache and renames it into place (a
  rename is atomic: a half-extracted package is never seen, and two processes racing both end with one
  complete copy). A cached package is never changed: judging loads it read-only (verify never writes).
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import uuid
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from judge.formats import archive
from judge.problem import ProblemError

from ..extensions import db
from ..models import Problem, ProblemPackage

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
SKIP_DIRS = {"__pycache__"}


class PackageError(ProblemError):
    """A package that cannot be fetched: code "missing" (no such hash in the store) or "hash_mismatch"."""

    def __init__(self, code: str, sha256: str):
        super().__init__(f"package {sha256[:12]}: {code}")
        self.code, self.sha256 = code, sha256


def canonical_archive(root: Path | str) -> bytes:
    """The canonical zip of the package folder `root` (see the module docstring)."""
    root = Path(root)
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
         and not SKIP_DIRS.intersection(p.relative_to(root).parts) and p.suffix != ".pyc"),
        key=lambda p: p.relative_to(root).as_posix(),
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in files:
            info = zipfile.ZipInfo(f"{root.name}/{f.relative_to(root).as_posix()}", date_time=FIXED_DATE)
            info.external_attr = (0o100755 if os.access(f, os.X_OK) else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, f.read_bytes(), compresslevel=6)
    return buf.getvalue()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_dir() -> Path:
    configured = current_app.config.get("PACKAGE_CACHE_DIR")
    return Path(configured) if configured else Path(current_app.config["PROBLEMS_DIR"]) / "cache"


def save_package(root: Path | str) -> tuple[str, Path]:
    """Store the package folder `root` in the database (once per content; committed) and in this host's
    cache; returns (sha256, the cached package folder)."""
    data = canonical_archive(root)
    digest = sha256_of(data)
    if db.session.get(ProblemPackage, digest) is None:
        db.session.add(ProblemPackage(sha256=digest, name=Path(root).name, size=len(data), data=data))
        try:
            db.session.commit()
        except IntegrityError:  # the same content stored meanwhile by another upload: it is the same
            db.session.rollback()
    return digest, _install(digest, data)


def _cached(digest: str) -> Path | None:
    slot = cache_dir() / digest
    return archive.package_root(slot) if slot.is_dir() else None


def _install(digest: str, data: bytes) -> Path:
    """Extract archive `data` into the cache as `<digest>/` (atomically); return the package folder."""
    found = _cached(digest)
    if found is not None:
        return found
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / f".tmp-{uuid.uuid4().hex}"
    try:
        archive.extract_zip(io.BytesIO(data), tmp)
        try:
            os.rename(tmp, cache / digest)
        except OSError:  # another process installed it first
            if _cached(digest) is None:
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return _cached(digest)


def local_package(digest: str) -> Path:
    """The package folder of `digest` on this host, fetched from the database and verified if missing."""
    found = _cached(digest)
    if found is not None:
        return found
    row = db.session.get(ProblemPackage, digest)
    if row is None:
        raise PackageError("missing", digest)
    data = bytes(row.data)
    if sha256_of(data) != digest:
        raise PackageError("hash_mismatch", digest)
    return _install(digest, data)


def package_dir(problem: Problem) -> Path:
    """Where this host reads `problem`'s package: its cached copy by hash; rows made before packages were
    stored by content (no hash) keep their package_path."""
    if problem.package_hash:
        return local_package(problem.package_hash)
    return Path(problem.package_path)


def release_package(digest: str | None) -> None:
    """Forget a package no problem uses any more (a refused or deleted upload): its database row and this
    host's cached copy. Commits. A package still used by a problem is kept."""
    if not digest:
        return
    used = db.session.scalar(select(func.count(Problem.id)).where(Problem.package_hash == digest))
    if used:
        return
    row = db.session.get(ProblemPackage, digest)
    if row is not None:
        db.session.delete(row)
        db.session.commit()
    shutil.rmtree(cache_dir() / digest, ignore_errors=True)


def store_legacy_packages() -> dict[int, str]:
    """Give every problem without a hash (imported before packages were stored by content) its package
    from its package_path on this host: {problem id: "stored" | "missing"}. Commits per problem; a
    problem whose folder is gone here is left unchanged (run this on the host that imported it)."""
    out: dict[int, str] = {}
    for problem in db.session.scalars(select(Problem).where(Problem.package_hash.is_(None)).order_by(Problem.id)).all():
        path = Path(problem.package_path)
        if not path.is_dir():
            out[problem.id] = "missing"
            continue
        digest, _root = save_package(path)
        problem.package_hash = digest
        db.session.commit()
        out[problem.id] = "stored"
    return out
