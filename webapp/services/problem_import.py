"""Bringing a problem package (folder or zip, any format of judge.formats) into a division.

The package is staged in PROBLEMS_DIR/<contest id>/<random>/, loaded and checked, then stored by
content (services.packages: the database holds its canonical archive, keyed by sha256; each host reads
it from its own cache), so that later edits of the source folder never change a running contest and no
folder is shared between the web and the workers. Nothing is written for a refused package.
"""
from __future__ import annotations

import shutil
from functools import lru_cache
import uuid
import zipfile
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from judge.formats import archive, load_problem
from judge.program_checkers import compile_checker
from judge.problem import ProblemError

from ..extensions import db
from ..models import Division, Problem, User, audit
from .packages import PackageError, package_dir, release_package, save_package


def store_package(source: Path | str, contest_id: int) -> Path:
    """Copy a folder, or safely extract a zip, into the problem store; return the package root.

    The package keeps its own folder name (PROBLEMS_DIR/<contest>/<random>/<name>/), because formats
    take the problem's short name from it.
    """
    source = Path(source)
    slot = Path(current_app.config["PROBLEMS_DIR"]) / str(contest_id) / uuid.uuid4().hex[:12]
    name = source.name if source.is_dir() else source.stem
    dest = slot / (name or "problem")
    slot.mkdir(parents=True, exist_ok=True)
    try:
        if source.is_dir():
            shutil.copytree(source, dest, symlinks=False, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            return dest
        if source.is_file() and zipfile.is_zipfile(source):
            archive.extract_zip(source, dest)
            return archive.package_root(dest)
        raise ProblemError(f"{source.name}: a package must be a folder or a .zip file")
    except Exception:
        shutil.rmtree(slot, ignore_errors=True)
        raise


def _slot_of(root: Path) -> Path:
    """The PROBLEMS_DIR/<contest>/<random> folder that holds a stored package root."""
    store = Path(current_app.config["PROBLEMS_DIR"]).resolve()
    root = Path(root).resolve()
    return store / root.relative_to(store).parts[0] / root.relative_to(store).parts[1]


def prepare_package(division: Division, source: Path | str):
    """Load a package, check that its code is free in the division, then store it by content (database +
    this host's cache, services.packages); no Docker, no Problem row.

    Returns (root, loaded, sha256): root is the cached package folder. Raises judge.problem.ProblemError
    (message names the offending file) and stores nothing when the package is unusable.
    """
    if division.content != "programming":
        raise ProblemError(f"division {division.code} is for creative products, not programming problems")
    staged = store_package(source, division.contest_id)
    try:
        loaded = load_problem(staged)
        _check_code_free(division, loaded.code.upper())
        digest, root = save_package(staged)
    finally:
        shutil.rmtree(_slot_of(staged), ignore_errors=True)  # a staging copy only: the store is by hash
    return root, load_problem(root), digest


def _check_code_free(division: Division, code: str) -> None:
    clash = db.session.scalar(select(Problem.id).where(Problem.division_id == division.id, Problem.code == code))
    if clash:
        raise ProblemError(f"division {division.code} already has a problem {code}; delete it or rename the package")


def discard_package(digest: str) -> None:
    """Forget a refused upload's package (database row and cached copy) unless a problem uses it."""
    release_package(digest)


def add_problem(division: Division, root: Path | str, loaded, package_hash: str | None, *, ordinal: int | None = None,
                publish: bool = False, user: User | None = None) -> Problem:
    """Add (and commit) the Problem row of a stored, loaded and checked package; audited.

    The code is checked again (a second upload of the same code may have finished meanwhile)."""
    code = loaded.code.upper()
    _check_code_free(division, code)
    if ordinal is None:
        ordinal = db.session.scalar(select(func.count(Problem.id)).where(Problem.division_id == division.id))
    problem = Problem(
        division=division,
        code=code,
        title_vi=loaded.names.get("vi") or loaded.title("vi"),
        title_en=loaded.names.get("en") or "",
        package_path=str(root),
        package_hash=package_hash,
        format=loaded.format,
        time_limit=loaded.time_limit,
        memory_limit=loaded.memory_limit,
        max_score=loaded.max_score,
        ordinal=ordinal,
        published=publish,
    )
    db.session.add(problem)
    db.session.flush()
    audit(user, "problem.import", f"problem:{problem.id}", division=division.code, code=code, sha256=package_hash)
    db.session.commit()
    return problem


def import_problem(
    division: Division,
    source: Path | str,
    *,
    ordinal: int | None = None,
    publish: bool = False,
    user: User | None = None,
) -> Problem:
    """Store and load a package, compile its checker (Docker: for the CLI and workers, never the web),
    then add (and commit) a Problem row to the division.

    Raises judge.problem.ProblemError (message names the offending file) and stores nothing when the
    package is unusable.
    """
    root, loaded, digest = prepare_package(division, source)
    try:
        compile_checker(loaded)  # a checker/validator that does not compile refuses the package
        return add_problem(division, root, loaded, digest, ordinal=ordinal, publish=publish, user=user)
    except Exception:
        db.session.rollback()
        discard_package(digest)
        raise


@lru_cache(maxsize=512)
def _test_count(package_path: str) -> int | None:
    try:
        return len(load_problem(package_path).tests())
    except ProblemError:
        return None


def test_count(problem: Problem) -> int | None:
    """Number of tests of a stored package (cached: a stored package never changes, a re-upload gets a
    new hash). None when the package cannot be loaded or fetched."""
    try:
        return _test_count(str(package_dir(problem)))
    except PackageError:
        return None


def load_package(problem: Problem):
    """The judge's view (judge.problem.Problem) of a stored problem, with the limits set in the site."""
    loaded = load_problem(package_dir(problem))
    loaded.time_limit = problem.time_limit
    loaded.memory_limit = problem.memory_limit
    return loaded


TIME_LIMIT_RANGE = (0.05, 60.0)  # seconds, both ends allowed


def parse_time_limit(text: str | None) -> float | None:
    """A time limit typed by an organiser, in seconds: a decimal number with a point or a comma
    ("1,5" = 1.5), accepted within TIME_LIMIT_RANGE inclusive; None when it is not a number or out
    of range."""
    try:
        seconds = float((text or "").replace(",", "."))
    except ValueError:
        return None
    low, high = TIME_LIMIT_RANGE
    return seconds if low <= seconds <= high else None
