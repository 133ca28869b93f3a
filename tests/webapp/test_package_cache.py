"""Packages by content: the canonical archive and its hash, the database store, per-host caches; two
worker processes with caches of their own (and no access to the web's files) both judge."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import Problem, ProblemPackage, Submission
from webapp.services.packages import PackageError, canonical_archive, local_package, package_dir
from webapp.services.problem_import import import_problem
from webapp.services.submissions import submit

from tests.helpers import CPP_AC
from tests.webapp.test_pipeline import write_problem

ROOT = Path(__file__).resolve().parents[2]

BURST_WORKER = (
    "import os\n"
    "from redis import Redis\n"
    "from rq import Queue, SimpleWorker\n"
    "conn = Redis.from_url(os.environ['REDIS_URL'])\n"
    "SimpleWorker([Queue(os.environ['JUDGE_QUEUE'], connection=conn)], connection=conn)"
    ".work(burst=True, with_scheduler=False)\n"
)


def test_canonical_archive_depends_on_content_only(tmp_path):
    a = write_problem(tmp_path / "a", tests=2)
    b = tmp_path / "b" / "TONG"
    shutil.copytree(a, b)
    os.utime(b / "Test01" / "TONG.INP", (1_000_000, 1_000_000))  # another date: same identity
    (b / "__pycache__").mkdir()
    (b / "__pycache__" / "x.pyc").write_bytes(b"junk")  # never part of a package
    assert canonical_archive(a) == canonical_archive(b)
    (b / "Test01" / "TONG.OUT").write_text("12\n")  # content changed: another identity
    assert canonical_archive(a) != canonical_archive(b)


def test_stored_in_the_database_and_fetched_into_a_cache(app, make_contest, tmp_path):
    contest = make_contest()
    problem = import_problem(contest.divisions[0], write_problem(tmp_path / "pkg", tests=2))
    digest = problem.package_hash
    row = db.session.get(ProblemPackage, digest)
    assert row.size == len(row.data) and hashlib.sha256(row.data).hexdigest() == digest
    assert Path(problem.package_path) == package_dir(problem) == Path(app.config["PROBLEMS_DIR"]) / "cache" / digest / "TONG"
    # nothing staged stays in the store: the package exists as the database row and cached copies only
    assert sorted(p.name for p in Path(app.config["PROBLEMS_DIR"]).iterdir()) == sorted(["cache", str(contest.id)])
    assert not any(Path(app.config["PROBLEMS_DIR"], str(contest.id)).rglob("*.INP"))

    # another host (another cache) fetches it and gets the same tree
    app.config["PACKAGE_CACHE_DIR"] = str(tmp_path / "other-cache")
    fetched = local_package(digest)
    assert fetched == tmp_path / "other-cache" / digest / "TONG"
    assert hashlib.sha256(canonical_archive(fetched)).hexdigest() == digest
    assert (fetched / "Test02" / "TONG.OUT").read_text() == "22\n"

    # an archive altered in the store is refused and nothing is cached
    db.session.execute(update(ProblemPackage).where(ProblemPackage.sha256 == digest)
                       .values(data=row.data[:-1] + bytes([row.data[-1] ^ 1])))
    db.session.commit()
    app.config["PACKAGE_CACHE_DIR"] = str(tmp_path / "third-cache")
    with pytest.raises(PackageError) as err:
        local_package(digest)
    assert err.value.code == "hash_mismatch"
    assert not (tmp_path / "third-cache" / digest).exists()
    with pytest.raises(PackageError) as err:
        local_package("0" * 64)
    assert err.value.code == "missing"


def test_same_content_stored_once_and_kept_while_used(app, make_contest, tmp_path, client, make_user):
    contest = make_contest(divisions=(("A", "primary", "programming"), ("B", "lower_secondary", "programming")))
    pkg = write_problem(tmp_path / "pkg", tests=2)
    first = import_problem(contest.divisions[0], pkg)
    second = import_problem(contest.divisions[1], pkg)
    assert first.package_hash == second.package_hash
    assert db.session.scalar(select(func.count()).select_from(ProblemPackage)) == 1
    organiser = make_user("btc", role="organiser")
    client.login(organiser.username)
    url = f"/contests/problems/{first.id}/delete"
    assert client.post_form(url, {}, form_url=f"/contests/problems/{first.id}/preview").status_code == 302
    assert db.session.get(ProblemPackage, second.package_hash) is not None  # still used by B
    assert package_dir(second).is_dir()
    url = f"/contests/problems/{second.id}/delete"
    digest = second.package_hash
    assert client.post_form(url, {}, form_url=f"/contests/problems/{second.id}/preview").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ProblemPackage)) == 0
    assert not (Path(app.config["PROBLEMS_DIR"]) / "cache" / digest).exists()


def run_worker_process(app, tmp_path: Path, name: str, queue: str) -> Path:
    """One real worker process (burst) with its own PROBLEMS_DIR and cache; returns its cache folder."""
    home = tmp_path / name
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "JUDGE_QUEUE": queue,
        "SECRET_KEY": "test-secret",
        "PROBLEMS_DIR": str(home / "problems"),
        "PACKAGE_CACHE_DIR": str(home / "cache"),
    }
    proc = subprocess.run([sys.executable, "-c", BURST_WORKER], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return home / "cache"


@pytest.mark.docker
def test_two_workers_with_separate_caches_both_judge(app, make_contest, make_user, admit, tmp_path, redis_conn):
    queue = f"judge-test-{uuid.uuid4().hex[:8]}"
    app.config.update(SUBMIT_RATE_COUNT=100, JUDGE_QUEUE=queue)
    contest = make_contest()
    division = contest.divisions[0]
    problem = import_problem(division, write_problem(tmp_path / "pkg", tests=3), publish=True)
    digest = problem.package_hash
    student = make_user("hs1")
    admit(student, division)
    shutil.rmtree(app.config["PROBLEMS_DIR"])  # the web's files are gone: workers must use the database

    first = [submit(student, problem, "cpp", CPP_AC) for _ in range(2)]
    cache_a = run_worker_process(app, tmp_path, "worker-a", queue)
    second = [submit(student, problem, "cpp", CPP_AC) for _ in range(2)]
    cache_b = run_worker_process(app, tmp_path, "worker-b", queue)

    db.session.expire_all()
    for sub in first + second:
        sub = db.session.get(Submission, sub.id)
        assert (sub.status, sub.verdict, sub.score) == ("done", "AC", 100.0), sub.compile_output
    for cache in (cache_a, cache_b):
        assert [p.name for p in cache.iterdir() if not p.name.startswith(".")] == [digest]
        assert hashlib.sha256(canonical_archive(cache / digest / "TONG")).hexdigest() == digest
    assert not Path(app.config["PROBLEMS_DIR"]).exists()
    assert db.session.get(Problem, problem.id).package_hash == digest


def test_store_packages_gives_old_problems_a_hash(app, make_contest, tmp_path):
    """Problems imported before packages were stored by content keep working and can be stored later."""
    contest = make_contest()
    old = write_problem(tmp_path / "old", tests=2)
    kept = Problem(division=contest.divisions[0], code="TONG", title_vi="Tổng", package_path=str(old), format="themis")
    gone = Problem(division=contest.divisions[0], code="MAT", title_vi="Mất", package_path="/nonexistent", format="themis")
    db.session.add_all([kept, gone])
    db.session.commit()
    assert package_dir(kept) == old  # read from its path until stored
    result = app.test_cli_runner().invoke(args=["store-packages"])
    assert result.exit_code != 0
    assert f"problem {kept.id}: stored" in result.output and f"problem {gone.id}: missing" in result.output
    db.session.expire_all()
    kept, gone = db.session.get(Problem, kept.id), db.session.get(Problem, gone.id)
    assert kept.package_hash == hashlib.sha256(canonical_archive(old)).hexdigest()
    assert package_dir(kept) == Path(app.config["PROBLEMS_DIR"]) / "cache" / kept.package_hash / "TONG"
    assert gone.package_hash is None
