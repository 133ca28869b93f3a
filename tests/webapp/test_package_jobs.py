"""Package work that needs Docker runs on workers: checker compilation at upload and verify.

The web requests run with DOCKER_HOST pointing at a dead socket (and no Docker client made yet): if the
web touched Docker they would fail. Then a real worker (rq SimpleWorker in burst mode, the real engine)
runs the queued job, and the pages show the result."""
from __future__ import annotations

import io
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from judge import sandbox
from webapp.extensions import db
from webapp.models import AuditLog, Problem, ProblemPackage
from webapp.services.package_jobs import tasks_queue

DEMO = Path(__file__).resolve().parents[2] / "problems"


def zip_of(folder: Path, name: str, replace: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(folder.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                rel = str(f.relative_to(folder))
                if replace and rel in replace:
                    z.writestr(f"{name}/{rel}", replace[rel])
                else:
                    z.write(f, f"{name}/{rel}")
    return buf.getvalue()


@contextmanager
def web_without_docker(monkeypatch):
    """The web process's view: a Docker host that does not answer, no client made. Asserts none was made."""
    with monkeypatch.context() as m:
        m.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        m.setattr(sandbox, "_client", None)
        yield
        assert sandbox._client is None, "the web process made a Docker client"


def run_tasks(app) -> None:
    """A real worker on TASKS_QUEUE with the real engine, until the queue is empty."""
    sandbox._client = None
    conn = tasks_queue().connection
    SimpleWorker([Queue(app.config["TASKS_QUEUE"], connection=conn)], connection=conn).work(burst=True, with_scheduler=False)
    db.session.expire_all()


def count_problems() -> int:
    return db.session.scalar(select(func.count(Problem.id)))


def upload(client, contest, division, data: bytes, filename: str):
    return client.post_form(f"/contests/{contest.id}/divisions/{division.id}/upload",
                            {"package": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


@pytest.mark.docker
def test_checker_compiled_by_a_worker_problem_added_when_it_ends(app, client, make_user, make_contest, monkeypatch):
    organiser = make_user("btc", role="organiser")
    contest = make_contest(divisions=(("C1", "upper_secondary", "programming"),))
    division = contest.divisions[0]
    client.login(organiser.username)
    with web_without_docker(monkeypatch):
        r = upload(client, contest, division, zip_of(DEMO / "capso", "capso"), "capso.zip")
        assert r.status_code == 303, r.get_data(as_text=True)
        progress = r.headers["Location"]
        assert count_problems() == 0  # a pending upload: stored, no row, so neither visible nor publishable
        page = client.get(progress)
        assert page.status_code == 200 and "đang được biên dịch trên máy chấm" in page.get_data(as_text=True)
        assert client.get(progress + "/status").get_json() == {"state": "queued", "final": False, "done": 0, "total": 0}
    # another organiser cannot follow it
    other = make_user("btc2", role="organiser")
    client.login(other.username)
    assert client.get(progress).status_code == 404
    client.login(organiser.username)

    run_tasks(app)
    assert client.get(progress + "/status").get_json()["state"] == "done"
    r = client.get(progress)
    problem = db.session.scalar(select(Problem))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/contests/problems/{problem.id}/preview")
    assert problem.code == "CAPSO" and not problem.published
    assert db.session.scalar(select(AuditLog.user_id).where(AuditLog.action == "problem.import")) == organiser.id


@pytest.mark.docker
def test_checker_that_does_not_compile_refused_when_the_job_ends(app, client, make_user, make_contest, monkeypatch):
    organiser = make_user("btc", role="organiser")
    contest = make_contest(divisions=(("C1", "upper_secondary", "programming"),))
    division = contest.divisions[0]
    client.login(organiser.username)
    data = zip_of(DEMO / "capso", "capso", {"checker.cpp": "int main( { this is not C++ }\n"})
    with web_without_docker(monkeypatch):
        r = upload(client, contest, division, data, "capso.zip")
        assert r.status_code == 303
    progress = r.headers["Location"]
    run_tasks(app)
    r = client.get(progress)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Gói đề không dùng được, chưa lưu gì" in html and "checker.cpp" in html
    assert count_problems() == 0
    assert db.session.scalar(select(func.count()).select_from(ProblemPackage)) == 0  # nothing stored
    store = Path(app.config["PROBLEMS_DIR"])
    assert not store.exists() or not any(p.is_file() for p in store.rglob("*"))


@pytest.mark.docker
def test_verify_runs_on_a_worker_and_the_page_shows_the_report(app, client, make_user, make_contest, monkeypatch):
    organiser = make_user("btc", role="organiser")
    contest = make_contest()
    division = contest.divisions[0]
    client.login(organiser.username)
    with web_without_docker(monkeypatch):
        r = upload(client, contest, division, zip_of(DEMO / "hcn", "hcn"), "hcn.zip")
        assert r.status_code == 302  # no program checker: nothing to compile, the row is added at once
        problem = db.session.scalar(select(Problem))
        preview = f"/contests/problems/{problem.id}/preview"
        r = client.post_form(f"/contests/problems/{problem.id}/verify", {}, form_url=preview)
        assert r.status_code == 302
        html = client.get(preview).get_data(as_text=True)
        assert "Đang kiểm tra gói đề trên máy chấm" in html and "package_job.js" in html
        status = client.get(f"/contests/problems/{problem.id}/verify/status").get_json()
        assert status["state"] == "queued" and status["final"] is False
        # a second click while it waits queues nothing more
        client.post_form(f"/contests/problems/{problem.id}/verify", {}, form_url=preview)
        assert tasks_queue().count == 1
    run_tasks(app)
    status = client.get(f"/contests/problems/{problem.id}/verify/status").get_json()
    assert status["state"] == "done" and status["final"] is True
    assert status["total"] > 0 and status["done"] == status["total"]
    problem = db.session.get(Problem, problem.id)
    assert problem.verify_report["status"] == "ok", problem.verify_report
    html = client.get(preview).get_data(as_text=True)
    assert "đúng như mong đợi" in html and "Đang kiểm tra gói đề trên máy chấm" not in html


def test_upload_whose_worker_died_is_reported_and_its_package_forgotten(app, client, make_user, make_contest,
                                                                         monkeypatch):
    """A pending upload whose job failed without finishing (worker killed): refused, nothing kept."""
    from rq.job import Job, JobStatus

    organiser = make_user("btc", role="organiser")
    contest = make_contest(divisions=(("C1", "upper_secondary", "programming"),))
    division = contest.divisions[0]
    client.login(organiser.username)
    with web_without_docker(monkeypatch):
        r = upload(client, contest, division, zip_of(DEMO / "capso", "capso"), "capso.zip")
        assert r.status_code == 303
        progress = r.headers["Location"]
        assert db.session.scalar(select(func.count()).select_from(ProblemPackage)) == 1  # stored, pending
        job = Job.fetch(f"package-upload-{progress.rsplit('/', 1)[1]}", connection=tasks_queue().connection)
        job.set_status(JobStatus.FAILED)
        assert client.get(progress + "/status").get_json()["state"] == "failed"
        r = client.get(progress)
        assert r.status_code == 422 and "bị gián đoạn" in r.get_data(as_text=True)
    assert count_problems() == 0
    assert db.session.scalar(select(func.count()).select_from(ProblemPackage)) == 0
    store = Path(app.config["PROBLEMS_DIR"])
    assert not any(p.is_file() for p in store.rglob("*"))
