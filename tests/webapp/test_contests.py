"""Contest pages: organiser setup, problem upload, entry rules, submitting, scoreboard freeze,
announcements and clarifications. Real SQLite + real Redis; judging itself is tested elsewhere."""
from __future__ import annotations

import io
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import (
    Announcement,
    AuditLog,
    Clarification,
    Contest,
    Participation,
    Problem,
    Submission,
    SubmissionStatus,
    utcnow,
)
from webapp.services.statements import render_markdown, sanitise_html

STATEMENT = "# Tính tổng\n\nCho hai số **a** và **b**, in ra a + b.\n\n<script>alert(1)</script>\n"


def themis_zip(tmp_path: Path, name: str = "TONG", tests: int = 3, statement: str | None = STATEMENT) -> bytes:
    """A small Themis package as zip bytes: NAME/Test01/NAME.INP + NAME.OUT ..."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(1, tests + 1):
            z.writestr(f"{name}/Test{i:02d}/{name}.INP", f"{i} {i}\n")
            z.writestr(f"{name}/Test{i:02d}/{name}.OUT", f"{2 * i}\n")
        if statement is not None:
            z.writestr(f"{name}/statement/problem.vi.md", statement)
    return buf.getvalue()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def organiser(make_user):
    return make_user("btc", role="organiser")


@pytest.fixture
def login(client):
    def do(user):
        client.post_form("/auth/logout", {}, form_url="/auth/login")
        r = client.login(user.username)
        assert r.status_code == 302, r.get_data(as_text=True)
        return client

    return do


def run_tasks(app) -> None:
    """A real worker on TASKS_QUEUE (package jobs), in this process, until the queue is empty."""
    from webapp.services.package_jobs import tasks_queue

    conn = tasks_queue().connection
    SimpleWorker([Queue(app.config["TASKS_QUEUE"], connection=conn)], connection=conn).work(burst=True, with_scheduler=False)
    db.session.expire_all()


def upload(client, contest, division, data: bytes, filename: str = "tong.zip"):
    url = f"/contests/{contest.id}/divisions/{division.id}/upload"
    return client.post_form(url, {"package": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def add_problem(client, login, organiser, contest, division, tmp_path, name="TONG", publish=True) -> Problem:
    login(organiser)
    r = upload(client, contest, division, themis_zip(tmp_path, name))
    assert r.status_code == 302, r.get_data(as_text=True)
    problem = db.session.scalar(select(Problem).where(Problem.code == name, Problem.division_id == division.id))
    if publish:
        problem.published = True
        db.session.commit()
    return problem


# -- organiser setup ------------------------------------------------------------------------------------
def test_organiser_creates_contest_with_default_divisions(client, login, organiser):
    login(organiser)
    r = client.post_form("/contests/new", {
        "name": "Hội thi Tin học trẻ TP 2026", "year": "2026", "round": "city",
        "start_at": "2026-12-05T08:00", "end_at": "2026-12-05T11:00", "freeze_minutes": "30", "scoring": "ioi",
    })
    assert r.status_code == 302
    contest = db.session.scalar(select(Contest))
    assert contest.name == "Hội thi Tin học trẻ TP 2026"
    # typed in Asia/Ho_Chi_Minh (UTC+7), stored as naive UTC
    assert contest.start_at == datetime(2026, 12, 5, 1, 0)
    assert contest.end_at == datetime(2026, 12, 5, 4, 0)
    assert [d.code for d in contest.divisions] == ["A", "B", "C1", "C2", "D1", "D2", "D3"]
    by_code = {d.code: d for d in contest.divisions}
    assert by_code["A"].levels == "primary" and by_code["A"].content == "programming"
    assert by_code["C2"].levels == "upper_secondary"
    assert by_code["D2"].content == "creative" and by_code["D2"].languages == ""
    assert "python3" in by_code["B"].language_list
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "contest.create")) is not None
    page = client.get(f"/contests/{contest.id}/manage").get_data(as_text=True)
    assert "Bảng C1" in page and "05/12/2026 08:00" in page  # shown back in local time

    # edit a division: allow lower levels, self-registration, fewer languages
    d = by_code["B"]
    r = client.post_form(f"/contests/{contest.id}/divisions/{d.id}/edit", {
        "code": "B", "name": "Bảng B — THCS", "levels": ["lower_secondary"], "content": "programming",
        "languages": ["cpp", "python3"], "allow_higher": "y", "self_register": "y",
    })
    assert r.status_code == 302
    db.session.refresh(d)
    assert d.language_list == ["cpp", "python3"] and d.allow_higher and d.self_register

    # the edit form shows local times and rejects an end before the start
    r = client.post_form(f"/contests/{contest.id}/edit", {
        "name": "X", "year": "2026", "round": "city", "start_at": "2026-12-05T08:00",
        "end_at": "2026-12-05T07:00", "freeze_minutes": "0", "scoring": "ioi",
    })
    assert r.status_code == 422
    assert "Thời gian kết thúc phải sau thời gian bắt đầu." in r.get_data(as_text=True)


def test_non_organiser_gets_403(client, login, make_user, make_contest):
    contest = make_contest()
    division = contest.divisions[0]
    student = make_user("hs1")
    judge = make_user("gk", role="judge")
    assert client.get("/contests/new").status_code == 302  # anonymous: to the login page
    for user in (student, judge):
        login(user)
        for url in ("/contests/new", f"/contests/{contest.id}/manage", f"/contests/{contest.id}/edit",
                    f"/contests/{contest.id}/divisions/{division.id}/upload",
                    f"/contests/{contest.id}/divisions/{division.id}/participants", f"/contests/{contest.id}/queue"):
            assert client.get(url).status_code == 403, (user.username, url)
    r = client.post_form("/contests/new", {"name": "x", "year": "2026", "round": "city", "start_at": "2026-12-05T08:00",
                                           "end_at": "2026-12-05T11:00", "freeze_minutes": "0", "scoring": "ioi"},
                         form_url=f"/contests/{contest.id}/clarifications")
    assert r.status_code == 403
    assert count(Contest) == 1


# -- problem packages -----------------------------------------------------------------------------------
def test_upload_preview_publish(client, login, organiser, make_contest, make_user, admit, tmp_path):
    contest = make_contest()
    division = contest.divisions[0]
    login(organiser)
    r = upload(client, contest, division, themis_zip(tmp_path))
    assert r.status_code == 302
    problem = db.session.scalar(select(Problem))
    assert problem.code == "TONG" and problem.title_vi == "Tính tổng" and not problem.published
    assert Path(problem.package_path).is_dir()
    page = client.get(f"/contests/problems/{problem.id}/preview").get_data(as_text=True)
    assert "Số test: 3" in page
    assert f"Mã gói đề (sha256): {problem.package_hash[:16]}" in page
    assert "<strong>a</strong>" in page  # markdown rendered
    assert "<script>alert(1)</script>" not in page  # ...and sanitised

    # a student admitted to the division does not see the unpublished problem
    student = make_user("hs1")
    admit(student, division)
    login(student)
    assert client.get(f"/contests/problems/{problem.id}").status_code == 404
    login(organiser)
    r = client.post_form(f"/contests/problems/{problem.id}/publish", {"published": "1"},
                         form_url=f"/contests/problems/{problem.id}/preview")
    assert r.status_code == 302
    db.session.refresh(problem)
    assert problem.published
    login(student)
    page = client.get(f"/contests/problems/{problem.id}").get_data(as_text=True)
    assert "Tính tổng" in page and "<script>alert" not in page
    assert 'name="language"' in page


def test_bad_package_is_refused_and_nothing_stored(client, login, organiser, make_contest, tmp_path, app):
    contest = make_contest()
    division = contest.divisions[0]
    login(organiser)
    # a test folder without its answer file
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("TONG/Test01/TONG.INP", "1 1\n")
    r = upload(client, contest, division, buf.getvalue())
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Gói đề không dùng được, chưa lưu gì" in html
    assert "TONG.OUT" in html  # the loader's message names the missing file
    # not a zip at all
    r = upload(client, contest, division, b"this is not a zip", "tong.zip")
    assert r.status_code == 422
    assert "zip" in r.get_data(as_text=True)
    assert count(Problem) == 0
    store = Path(app.config["PROBLEMS_DIR"]) / str(contest.id)
    assert not store.exists() or not any(store.iterdir())


def test_duplicate_problem_code_refused(client, login, organiser, make_contest, tmp_path):
    contest = make_contest()
    division = contest.divisions[0]
    add_problem(client, login, organiser, contest, division, tmp_path)
    r = upload(client, contest, division, themis_zip(tmp_path))
    assert r.status_code == 422
    assert "already has a problem TONG" in r.get_data(as_text=True)
    assert count(Problem) == 1


# -- entry rules ----------------------------------------------------------------------------------------
def test_student_visibility_and_self_registration(client, login, make_user, make_contest):
    contest = make_contest(divisions=(("A", "primary", "programming"), ("B", "lower_secondary", "programming"),
                                      ("C1", "upper_secondary", "programming")))
    a, b, c1 = contest.divisions
    b.self_register = True
    c1.self_register = True
    a.self_register = True
    db.session.commit()
    thcs = make_user("thcs", level="lower_secondary", grade=8)
    thpt = make_user("thpt", level="upper_secondary", grade=11)
    tieuhoc = make_user("tieuhoc", level="primary", grade=5)

    # THCS student: B yes; C1 only when allow_higher; A never (below their level)
    login(thcs)
    page = client.get(f"/contests/{contest.id}").get_data(as_text=True)
    assert "Đăng ký thi B" in page and "Đăng ký thi C1" not in page and "Đăng ký thi A" not in page
    c1.allow_higher = True
    a.allow_higher = True
    db.session.commit()
    page = client.get(f"/contests/{contest.id}").get_data(as_text=True)
    assert "Đăng ký thi C1" in page and "Đăng ký thi A" not in page
    assert contest.name in client.get("/contests/").get_data(as_text=True)

    # a THPT student sees nothing to join below their level
    login(thpt)
    page = client.get(f"/contests/{contest.id}").get_data(as_text=True)
    assert "Đăng ký thi C1" in page and "Đăng ký thi B" not in page and "Đăng ký thi A" not in page
    r = client.post_form(f"/contests/{contest.id}/divisions/{b.id}/join", {}, form_url=f"/contests/{contest.id}")
    assert r.status_code == 302
    assert count(Participation) == 0

    # join, then a second programming division of the same contest is refused
    login(thcs)
    r = client.post_form(f"/contests/{contest.id}/divisions/{b.id}/join", {}, form_url=f"/contests/{contest.id}")
    assert r.status_code == 302
    assert db.session.scalar(select(Participation.division_id).where(Participation.user_id == thcs.id)) == b.id
    client.post_form(f"/contests/{contest.id}/divisions/{c1.id}/join", {}, form_url=f"/contests/{contest.id}")
    assert count(Participation) == 1

    # a division without self-registration cannot be joined, and a contest with nothing for a student is 403
    c1.self_register = False
    db.session.commit()
    login(tieuhoc)
    r = client.post_form(f"/contests/{contest.id}/divisions/{c1.id}/join", {}, form_url="/contests/")
    assert count(Participation) == 1
    a.self_register = False
    db.session.commit()
    assert client.get(f"/contests/{contest.id}").status_code == 403
    assert contest.name not in client.get("/contests/").get_data(as_text=True)


def test_self_registration_closed_after_the_end(client, login, make_user, make_contest):
    now = utcnow()
    contest = make_contest(start_at=now - timedelta(hours=5), end_at=now - timedelta(hours=1))
    contest.divisions[0].self_register = True
    db.session.commit()
    login(make_user("hs1"))
    assert client.get(f"/contests/{contest.id}").status_code == 403
    client.post_form(f"/contests/{contest.id}/divisions/{contest.divisions[0].id}/join", {}, form_url="/contests/")
    assert count(Participation) == 0


def test_add_participants_by_username_list(client, login, organiser, make_user, make_contest, admit):
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("C1", "upper_secondary", "programming")))
    b, c1 = contest.divisions
    make_user("hs_b1", level="lower_secondary")
    make_user("hs_b2", level="primary", grade=5)  # lower level: the organiser may place them higher
    make_user("hs_thpt", level="upper_secondary", grade=10)  # higher level: never below
    taken = make_user("hs_c1", level="lower_secondary")
    admit(taken, c1)
    login(organiser)
    r = client.post_form(f"/contests/{contest.id}/divisions/{b.id}/participants",
                         {"usernames": "hs_b1\nHS_B2, nobody\nhs_thpt\nbtc\nhs_c1\nhs_b1\n"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "Không có tài khoản “nobody”" in html
    assert "thí sinh không được thi bảng dưới cấp học của mình" in html
    assert "btc không phải tài khoản thí sinh" in html
    assert "hs_c1 đã thi bảng C1 của cuộc thi này" in html
    assert "Trùng với một dòng ở trên" in html
    members = set(db.session.scalars(select(Participation.user_id).where(Participation.division_id == b.id)))
    assert len(members) == 2


# -- submitting -----------------------------------------------------------------------------------------
@pytest.fixture
def world(client, login, organiser, make_user, make_contest, admit, tmp_path, redis_conn):
    contest = make_contest()
    division = contest.divisions[0]
    problem = add_problem(client, login, organiser, contest, division, tmp_path)
    alice = make_user("alice", full_name="Nguyễn Thị An", unit="Quận 1")
    bob = make_user("bob", full_name="Trần Văn Bình", unit="Quận 3")
    admit(alice, division)
    admit(bob, division)
    return contest, division, problem, alice, bob


def submit_source(client, problem, source="print(sum(map(int, input().split())))\n", language="python3", **extra):
    return client.post_form(f"/contests/problems/{problem.id}", {"language": language, "source": source, **extra},
                            content_type="multipart/form-data")


def test_submit_and_watch_submission(client, login, world, redis_conn):
    contest, division, problem, alice, bob = world
    login(alice)
    r = submit_source(client, problem)
    assert r.status_code == 302
    sub = db.session.scalar(select(Submission))
    assert r.headers["Location"].endswith(f"/contests/submissions/{sub.id}")
    assert sub.status == "queued" and sub.language == "python3"
    assert redis_conn.exists(f"rq:job:judge-{sub.id}")  # queued for a worker
    page = client.get(f"/contests/submissions/{sub.id}").get_data(as_text=True)
    assert "Đang chờ chấm" in page and "print(sum(" in page
    data = client.get(f"/contests/submissions/{sub.id}.json").get_json()
    assert data["status"] == "queued" and data["done"] is False and data["tests"] == [] and data["tests_total"] == 3
    # a file upload works too
    r = submit_source(client, problem, source="", file=(io.BytesIO(b"#include <cstdio>\nint main(){}\n"), "tong.cpp"),
                      language="cpp")
    assert r.status_code == 302
    assert db.session.scalars(select(Submission).order_by(Submission.id.desc())).first().source.startswith("#include")
    history = client.get(f"/contests/{contest.id}/submissions").get_data(as_text=True)
    assert history.count("/contests/submissions/") >= 2


def test_others_submissions_are_403(client, login, world):
    contest, division, problem, alice, bob = world
    login(alice)
    submit_source(client, problem, source="print('alice secret')")
    sub = db.session.scalar(select(Submission))
    login(bob)
    assert client.get(f"/contests/submissions/{sub.id}").status_code == 403
    assert client.get(f"/contests/submissions/{sub.id}.json").status_code == 403
    assert "alice secret" not in client.get(f"/contests/{contest.id}/submissions").get_data(as_text=True)


def test_submit_outside_the_window_refused(client, login, world):
    contest, division, problem, alice, bob = world
    contest.start_at = utcnow() - timedelta(hours=3)
    contest.end_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(alice)
    r = submit_source(client, problem)
    assert r.status_code == 403
    assert "Cuộc thi đã kết thúc, không nhận bài nữa." in r.get_data(as_text=True)
    # before the start the problem is not even visible
    contest.start_at = utcnow() + timedelta(hours=1)
    contest.end_at = utcnow() + timedelta(hours=4)
    db.session.commit()
    assert client.get(f"/contests/problems/{problem.id}").status_code == 404
    assert count(Submission) == 0


def test_source_too_big_refused(client, login, world):
    contest, division, problem, alice, bob = world
    login(alice)
    r = submit_source(client, problem, source="#" * (64 * 1024 + 1))
    assert r.status_code == 422
    assert "tối đa 64 KiB" in r.get_data(as_text=True)
    r = submit_source(client, problem, source="", file=(io.BytesIO(b"x" * (64 * 1024 + 10)), "big.py"))
    assert r.status_code == 422
    assert "lớn hơn 64 KiB" in r.get_data(as_text=True)
    assert count(Submission) == 0


def test_language_must_be_allowed(client, login, world):
    contest, division, problem, alice, bob = world
    division.languages = "cpp"
    db.session.commit()
    login(alice)
    r = submit_source(client, problem, language="python3")
    assert r.status_code == 422  # not a choice of the form
    assert count(Submission) == 0


def test_rate_limit(client, login, world, app):
    contest, division, problem, alice, bob = world
    app.config.update(SUBMIT_RATE_COUNT=2, SUBMIT_RATE_SECONDS=60)
    login(alice)
    assert submit_source(client, problem).status_code == 302
    assert submit_source(client, problem).status_code == 302
    r = submit_source(client, problem)
    assert r.status_code == 429
    assert "Bạn nộp quá nhanh" in r.get_data(as_text=True)
    assert count(Submission) == 2


# -- scoreboard -----------------------------------------------------------------------------------------
def test_scoreboard_freeze_public_vs_organiser(client, login, world, organiser):
    contest, division, problem, alice, bob = world
    now = utcnow()
    contest.start_at = now - timedelta(hours=4)
    contest.end_at = now + timedelta(minutes=20)
    contest.freeze_minutes = 60
    db.session.add_all([
        Submission(user_id=alice.id, problem_id=problem.id, language="python3", source="a", status="done",
                   verdict="WA", score=40.0, max_score=100.0, created_at=now - timedelta(hours=2)),
        # inside the freeze (last 60 minutes)
        Submission(user_id=bob.id, problem_id=problem.id, language="python3", source="b", status="done",
                   verdict="AC", score=100.0, max_score=100.0, created_at=now - timedelta(minutes=10)),
    ])
    db.session.commit()
    url = f"/contests/{contest.id}/scoreboard/{division.id}"
    client.post_form("/auth/logout", {}, form_url="/auth/login")
    public = client.get(url).get_data(as_text=True)  # anonymous
    assert "Bảng xếp hạng đã đóng băng" in public
    assert "Nguyễn Thị An" in public and "Trần Văn Bình" in public
    assert ">100<" not in public.replace(" ", "").replace("\n", "")
    assert public.index("Nguyễn Thị An") < public.index("Trần Văn Bình")  # bob's AC is hidden
    login(alice)
    assert client.get(url + "?partial=1").get_data(as_text=True).count("Trần Văn Bình") == 1
    login(organiser)
    full = client.get(url).get_data(as_text=True)
    assert "bảng xếp hạng đầy đủ" in full
    assert full.index("Trần Văn Bình") < full.index("Nguyễn Thị An")  # bob first with 100
    partial = client.get(url + "?partial=1").get_data(as_text=True)
    assert "<html" not in partial and "Trần Văn Bình" in partial


def test_icpc_scoreboard_columns(client, world):
    contest, division, problem, alice, bob = world
    contest.scoring = "icpc"
    db.session.add(Submission(user_id=alice.id, problem_id=problem.id, language="python3", source="a", status="done",
                              verdict="AC", score=100.0, max_score=100.0, created_at=contest.start_at + timedelta(minutes=7)))
    db.session.commit()
    page = client.get(f"/contests/{contest.id}/scoreboard/{division.id}").get_data(as_text=True)
    assert "Số bài" in page and "Phạt (phút)" in page and "7′" in page


# -- announcements and clarifications -------------------------------------------------------------------
def test_announcements(client, login, world, organiser):
    contest, division, problem, alice, bob = world
    login(organiser)
    r = client.post_form(f"/contests/{contest.id}/announcements",
                         {"title": "Đổi giờ thi", "body": "Thi lùi **15 phút**. <img src=x onerror=alert(1)>"},
                         form_url=f"/contests/{contest.id}")
    assert r.status_code == 302
    login(alice)
    page = client.get(f"/contests/{contest.id}").get_data(as_text=True)
    assert "Đổi giờ thi" in page and "<strong>15 phút</strong>" in page
    assert "onerror" not in page
    r = client.post_form(f"/contests/{contest.id}/announcements", {"title": "hack", "body": ""},
                         form_url=f"/contests/{contest.id}")
    assert r.status_code == 403
    assert count(Announcement) == 1


def test_clarifications_visibility(client, login, world, organiser):
    contest, division, problem, alice, bob = world
    url = f"/contests/{contest.id}/clarifications"
    login(alice)
    r = client.post_form(url, {"problem_id": str(problem.id), "question": "Số a có thể âm không?"})
    assert r.status_code == 302
    r = client.post_form(url, {"problem_id": "", "question": "Được mang giấy nháp không?"})
    assert r.status_code == 302
    q1, q2 = db.session.scalars(select(Clarification).order_by(Clarification.id)).all()
    assert q1.problem_id == problem.id and q2.problem_id is None
    assert "Số a có thể âm không?" in client.get(url).get_data(as_text=True)

    login(bob)
    page = client.get(url).get_data(as_text=True)
    assert "Số a có thể âm không?" not in page and "giấy nháp" not in page

    login(organiser)
    page = client.get(url).get_data(as_text=True)
    assert "Số a có thể âm không?" in page and "giấy nháp" in page
    client.post_form(f"{url}/{q1.id}/answer", {"answer": "Có, |a| ≤ 10^9.", "public": "y"}, form_url=url)
    client.post_form(f"{url}/{q2.id}/answer", {"answer": "Không."}, form_url=url)
    db.session.refresh(q1)
    db.session.refresh(q2)
    assert q1.public and q1.answer and not q2.public and q2.answer == "Không."

    login(bob)
    page = client.get(url).get_data(as_text=True)
    assert "Số a có thể âm không?" in page and "Có, |a| ≤ 10^9." in page  # public answer
    assert "giấy nháp" not in page  # private answer stays with alice
    assert "Nguyễn Thị An" not in page  # who asked is not shown to others
    login(alice)
    page = client.get(url).get_data(as_text=True)
    assert "Không." in page and "Có, |a| ≤ 10^9." in page


def test_outsider_cannot_ask(client, login, world, make_user):
    contest = world[0]
    login(make_user("outsider", level="upper_secondary", grade=11))
    assert client.get(f"/contests/{contest.id}/clarifications").status_code == 403
    assert client.get(f"/contests/{contest.id}/problems").status_code == 403


# -- organiser queue and rejudge ------------------------------------------------------------------------
def test_queue_and_rejudge(client, login, world, organiser, redis_conn):
    contest, division, problem, alice, bob = world
    now = utcnow()
    done = Submission(user_id=alice.id, problem_id=problem.id, language="python3", source="a", status="done",
                      verdict="WA", score=0.0, max_score=100.0, created_at=now - timedelta(minutes=5),
                      started_at=now - timedelta(minutes=5) + timedelta(seconds=3), finished_at=now - timedelta(minutes=4))
    waiting = Submission(user_id=bob.id, problem_id=problem.id, language="python3", source="b", status="queued",
                         created_at=now - timedelta(seconds=30))
    db.session.add_all([done, waiting])
    db.session.commit()
    login(organiser)
    page = client.get(f"/contests/{contest.id}/queue").get_data(as_text=True)
    assert "Đang chờ hoặc đang chấm: 1 bài nộp." in page
    assert "trung bình 3.0 giây" in page
    partial = client.get(f"/contests/{contest.id}/queue?partial=1").get_data(as_text=True)  # live refresh
    assert "<html" not in partial and f">{waiting.id}</a>" in partial
    r = client.post_form(f"/contests/submissions/{done.id}/rejudge", {"reason": "phúc khảo"},
                         form_url=f"/contests/{contest.id}/queue")
    assert r.status_code == 302
    db.session.refresh(done)
    assert done.status == SubmissionStatus.QUEUED.value and done.verdict is None
    r = client.post_form(f"/contests/{contest.id}/rejudge", {"reason": ""}, form_url=f"/contests/{contest.id}/manage")
    assert r.status_code == 302
    rows = db.session.scalars(select(AuditLog).where(AuditLog.action == "submission.rejudge")).all()
    assert len(rows) == 2 and rows[0].details["reason"] == "phúc khảo" and rows[1].details["count"] == 2
    r = client.post_form(f"/contests/problems/{problem.id}/rejudge", {}, form_url=f"/contests/{contest.id}/queue")
    assert r.status_code == 302
    login(alice)
    assert client.post_form(f"/contests/{contest.id}/rejudge", {}, form_url=f"/contests/{contest.id}").status_code == 403


# -- statements are sanitised ---------------------------------------------------------------------------
def test_sanitiser():
    dirty = ('<p onclick="x()">hi<script>alert(1)</script></p><a href="javascript:alert(1)">l</a>'
             '<a href="JaVaScRiPt&#58;alert(1)">m</a><img src="pic.png" onerror="x"><iframe src="//evil"></iframe>'
             '<style>body{}</style><td style="color:red">c</td><table><tr><td style="text-align: center">d</td></tr></table>')
    out = sanitise_html(dirty, base="/files")
    assert "script" not in out and "onclick" not in out and "onerror" not in out and "javascript" not in out.lower()
    assert "iframe" not in out and "body{}" not in out and "color:red" not in out
    assert '<img src="/files/pic.png">' in out
    assert 'style="text-align: center"' in out
    assert render_markdown("a <b>bold</b> <br> x") == "<p>a <b>bold</b> <br> x</p>"
    assert "&lt;" in render_markdown("`<script>`")


def test_every_page_renders(client, login, world, organiser):
    """Smoke: each page of the feature answers 200 for the people it is meant for."""
    contest, division, problem, alice, bob = world
    login(alice)
    submit_source(client, problem)
    sub = db.session.scalar(select(Submission))
    sub.status, sub.verdict, sub.score, sub.compile_output = "done", "CE", 0.0, "tong.py:1: error"
    db.session.commit()
    student_pages = ["/contests/", f"/contests/{contest.id}", f"/contests/{contest.id}/problems",
                     f"/contests/problems/{problem.id}", f"/contests/submissions/{sub.id}",
                     f"/contests/{contest.id}/submissions", f"/contests/{contest.id}/clarifications",
                     f"/contests/{contest.id}/scoreboard/{division.id}"]
    for url in student_pages:
        assert client.get(url).status_code == 200, url
    data = client.get(f"/contests/submissions/{sub.id}.json").get_json()
    assert data["verdict"] == "CE" and data["compile_output"] == "tong.py:1: error"
    login(organiser)
    for url in student_pages + [
        "/contests/new", f"/contests/{contest.id}/edit", f"/contests/{contest.id}/manage",
        f"/contests/{contest.id}/divisions/new", f"/contests/{contest.id}/divisions/{division.id}/edit",
        f"/contests/{contest.id}/divisions/{division.id}/upload",
        f"/contests/{contest.id}/divisions/{division.id}/participants",
        f"/contests/problems/{problem.id}/preview", f"/contests/{contest.id}/queue",
        f"/contests/{contest.id}/submissions?user=alice",
    ]:
        assert client.get(url).status_code == 200, url
    r = client.post_form(f"/contests/problems/{problem.id}/limits", {"time_limit": "1,5", "memory_limit": "128", "ordinal": "2"},
                         form_url=f"/contests/problems/{problem.id}/preview")
    assert r.status_code == 302
    db.session.refresh(problem)
    assert (problem.time_limit, problem.memory_limit, problem.ordinal) == (1.5, 128, 2)


@pytest.mark.docker
def test_verify_demo_package_before_publishing(app, client, login, organiser, make_contest):
    """Upload a demo package as a zip, verify it (judges its example solutions in Docker)."""
    repo = Path(__file__).resolve().parents[2]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted((repo / "problems" / "hcn").rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                z.write(f, "hcn/" + str(f.relative_to(repo / "problems" / "hcn")))
    contest = make_contest()
    division = contest.divisions[0]
    login(organiser)
    assert upload(client, contest, division, buf.getvalue(), "hcn.zip").status_code == 302
    problem = db.session.scalar(select(Problem))
    r = client.post_form(f"/contests/problems/{problem.id}/verify", {}, form_url=f"/contests/problems/{problem.id}/preview")
    assert r.status_code == 302
    assert problem.verify_report is None  # queued for a worker: the web never judges
    run_tasks(app)
    problem = db.session.get(Problem, problem.id)
    report = problem.verify_report
    assert report["status"] == "ok", report
    assert report["summary"]["tests"] > 0
    assert any(s["expected"] == "accepted" and s["status"] == "ok" for s in report["result"]["submissions"])
    page = client.get(f"/contests/problems/{problem.id}/preview").get_data(as_text=True)
    assert "đúng như mong đợi" in page
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "problem.verify")) is not None


def test_statement_files_never_include_answers(client, login, organiser, make_contest, make_user, admit, tmp_path):
    """Statement images are served; test data is not, even when the statement sits in the package root."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("TONG/Test01/TONG.INP", "1 1\n")
        z.writestr("TONG/Test01/TONG.OUT", "2\n")
        z.writestr("TONG/problem.vi.md", "# Tổng\n\n![hình](hinh.png)\n")
        z.writestr("TONG/hinh.png", b"\x89PNG\r\n\x1a\n")
        z.writestr("TONG/limits.yaml", "time_limit: 1\n")
    contest = make_contest()
    division = contest.divisions[0]
    login(organiser)
    assert upload(client, contest, division, buf.getvalue()).status_code == 302
    problem = db.session.scalar(select(Problem))
    problem.published = True
    db.session.commit()
    student = make_user("hs1")
    admit(student, division)
    login(student)
    page = client.get(f"/contests/problems/{problem.id}").get_data(as_text=True)
    assert f'src="/contests/problems/{problem.id}/files/hinh.png"' in page
    r = client.get(f"/contests/problems/{problem.id}/files/hinh.png")
    assert r.status_code == 200 and r.data.startswith(b"\x89PNG")
    r.close()
    for name in ("Test01/TONG.OUT", "limits.yaml", "../TONG/Test01/TONG.OUT", "Test01%2FTONG.OUT"):
        assert client.get(f"/contests/problems/{problem.id}/files/{name}").status_code == 404, name
