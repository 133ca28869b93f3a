"""End to end in Chromium: registration, joining a division, submitting, verdicts appearing live on the
submission page (no reload), the scoreboard, and an organiser's rejudge. Judged for real in Docker."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import Contest, Division, Participation, Submission, SubmissionTest, User, utcnow
from webapp.services.problem_import import import_problem
from webapp.services.submissions import submit
from webapp.services.users import create_user, find_or_create_school


from tests.helpers import CPP_AC, PY_WA, wait_for

MARKER = "window.__notReloaded"

pytestmark = pytest.mark.browser


def write_problem(root: Path, tests: int = 3) -> Path:
    task = root / "TONG"
    for i in range(1, tests + 1):
        d = task / f"Test{i:02d}"
        d.mkdir(parents=True)
        (d / "TONG.INP").write_text(f"{i} {i * 10}\n")
        (d / "TONG.OUT").write_text(f"{i * 11}\n")
    (task / "limits.yaml").write_text("name: {vi: Tính tổng, en: Sum}\ntime_limit: 1\n")
    return task


def make_contest(tmp_path: Path) -> tuple[Contest, Division]:
    now = utcnow()
    contest = Contest(name="Hội thi Tin học trẻ thử", year=now.year, start_at=now - timedelta(hours=1),
                      end_at=now + timedelta(hours=4))
    division = Division(code="B", name="Bảng B", levels="lower_secondary", self_register=True)
    contest.divisions.append(division)
    db.session.add(contest)
    db.session.commit()
    import_problem(division, write_problem(tmp_path / "pkg"), publish=True)
    return contest, division


def make_account(username: str, role: str = "student", full_name: str = "") -> User:
    fields = {}
    if role == "student":
        fields = dict(school_level="lower_secondary", grade=8, school=find_or_create_school("THCS Nguyễn Du", "Quận 1"))
    user = create_user(username, "secret123", role, full_name=full_name or username, **fields)
    db.session.commit()
    return user


def login(page: Page, username: str, password: str = "secret123") -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form [type=submit]").click()
    expect(page.locator(".who")).to_be_visible()


def logout(page: Page) -> None:
    page.locator("form[action$='/auth/logout'] button").click()
    expect(page.locator(".who")).to_have_count(0)


def register(page: Page, username: str, full_name: str) -> None:
    page.goto("/")
    page.get_by_role("link", name="Đăng ký thí sinh").first.click()
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    page.fill("input[name=full_name]", full_name)
    page.fill("input[name=date_of_birth]", "2012-09-05")
    page.select_option("select[name=school_level]", "lower_secondary")
    page.select_option("select[name=grade]", "8")
    page.fill("input[name=new_school]", "THCS Lê Quý Đôn")
    page.fill("input[name=unit]", "Quận 3")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret123")
    page.fill("input[name=confirm]", "secret123")
    page.locator("form.form [type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("Đăng ký thành công")


def mark_page(page: Page) -> None:
    """Leave a marker in the page's JS world: it survives only while the page is not reloaded."""
    page.evaluate(f"{MARKER} = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded"


def submit_in_browser(page: Page, problem_url: str, language: str, source: str) -> int:
    page.goto(problem_url)
    page.select_option("form.submit-form select[name=language]", language)
    page.fill("form.submit-form textarea[name=source]", source)
    page.locator("form.submit-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/contests/submissions/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def expect_live_verdict(page: Page, verdict: str, tests: int) -> None:
    mark_page(page)
    expect(page.locator("[data-field=verdict]")).to_contain_text(verdict, timeout=90_000)
    expect(page.locator("[data-field=tests] tr")).to_have_count(tests)
    assert_not_reloaded(page)


def test_home_page_and_registration(live_server, page):
    page.goto("/")
    expect(page.locator("h1")).to_contain_text("Hội thi Tin học trẻ")
    register(page, "lan.nguyen", "Nguyễn Thị Lan")
    expect(page.locator(".who")).to_have_text("Nguyễn Thị Lan")
    user = db.session.scalar(select(User).where(User.username == "lan.nguyen"))
    assert (user.role, user.school_level, user.grade, user.school.name) == ("student", "lower_secondary", 8, "THCS Lê Quý Đôn")
    # a wrong grade for the level is refused with the reason next to the field
    logout(page)
    page.goto("/auth/register")
    page.select_option("select[name=school_level]", "primary")
    page.select_option("select[name=grade]", "8")
    page.locator("form.form [type=submit]").click()
    expect(page.locator(".field.has-error")).not_to_have_count(0)


@pytest.mark.docker
def test_student_submits_and_sees_verdicts_live(live_server, judge_worker, page):
    contest, division = make_contest(live_server.tmp_path)
    register(page, "an.tran", "Trần Văn An")
    logout(page)
    login(page, "an.tran")

    # join the division from the contest page, then open the problem from the problem list
    page.goto("/contests/")
    page.get_by_role("link", name=contest.name).first.click()
    page.get_by_role("button", name=re.compile("Đăng ký thi B")).click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.get_by_role("link", name="Xem đề").click()
    page.get_by_role("link", name="TONG").click()
    expect(page.locator("h1")).to_contain_text("TONG")
    problem_url = page.url

    ac_id = submit_in_browser(page, problem_url, "cpp", CPP_AC)
    expect_live_verdict(page, "AC", 3)
    expect(page.locator("[data-field=score]")).to_contain_text("100")

    wa_id = submit_in_browser(page, problem_url, "python3", PY_WA)
    expect_live_verdict(page, "WA", 3)
    expect(page.locator("[data-field=score]")).to_contain_text("0")

    db.session.expire_all()
    verdicts = {s.id: (s.language, s.verdict) for s in db.session.scalars(select(Submission))}
    assert verdicts == {ac_id: ("cpp", "AC"), wa_id: ("python3", "WA")}
    # both are listed on the problem page with their verdicts
    page.goto(problem_url)
    expect(page.locator("table.submissions tbody tr")).to_have_count(2)
    expect(page.locator("table.submissions .verdict")).to_have_text(["WA", "AC"])


@pytest.mark.docker
def test_organiser_sees_the_scoreboard_and_rejudges(live_server, judge_worker, page, new_page):
    contest, division = make_contest(live_server.tmp_path)
    problem = division.problems[0]
    make_account("btc", role="organiser", full_name="Ban tổ chức")
    students = [make_account("hs.mot", full_name="Học sinh Một"), make_account("hs.hai", full_name="Học sinh Hai")]
    for s in students:
        db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=s.id))
    db.session.commit()
    ac = submit(students[0], problem, "cpp", CPP_AC)
    wa = submit(students[1], problem, "python3", PY_WA)
    ids = (ac.id, wa.id)

    def all_done():
        db.session.expire_all()
        return all(db.session.get(Submission, i).status == "done" for i in ids)

    wait_for(all_done, 90, "the worker to judge both submissions")

    login(page, "btc")
    page.goto(f"/contests/{contest.id}/scoreboard/{division.id}")
    rows = page.locator("#scoreboard tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Học sinh Một")
    expect(rows.nth(0)).to_contain_text("100")
    expect(rows.nth(1)).to_contain_text("Học sinh Hai")

    # a student sees the same board
    student_page = new_page()
    login(student_page, "hs.hai")
    student_page.goto(f"/contests/{contest.id}/scoreboard/{division.id}")
    expect(student_page.locator("#scoreboard tbody tr").nth(0)).to_contain_text("Học sinh Một")

    # rejudge one submission from its page; the new verdict arrives without a reload
    page.goto(f"/contests/submissions/{ac.id}")
    page.get_by_role("button", name="Chấm lại bài nộp này").click()
    expect(page).to_have_url(re.compile(rf"/contests/submissions/{ac.id}$"))
    expect(page.locator(".flash-success")).to_be_visible()
    expect_live_verdict(page, "AC", 3)
    db.session.expire_all()
    sub = db.session.get(Submission, ac.id)
    assert (sub.status, sub.verdict, sub.attempts) == ("done", "AC", 2)
    assert db.session.scalar(select(func.count(SubmissionTest.id)).where(SubmissionTest.submission_id == ac.id)) == 3


def test_organiser_uploads_a_checker_package_and_verifies_it(live_server, judge_worker, page):
    """The checker is compiled and the package verified by the worker; the pages follow both jobs."""
    import io
    import zipfile

    contest, division = make_contest(live_server.tmp_path)
    make_account("btc", role="organiser", full_name="Ban tổ chức")
    demo = Path(__file__).resolve().parents[2] / "problems" / "capso"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in sorted(demo.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts:
                z.write(f, "capso/" + str(f.relative_to(demo)))
    package = live_server.tmp_path / "capso.zip"
    package.write_bytes(buf.getvalue())

    login(page, "btc")
    page.goto(f"/contests/{contest.id}/divisions/{division.id}/upload")
    page.set_input_files("input[name=package]", str(package))
    page.get_by_role("button", name="Tải lên").click()
    expect(page).to_have_url(re.compile(r"/contests/problems/\d+/preview$"), timeout=120_000)
    expect(page.locator("body")).to_contain_text("Đã tải lên bài CAPSO")
    page.get_by_role("button", name="Kiểm tra gói đề").click()
    expect(page.locator("#package-job")).to_be_visible()
    expect(page.locator("body")).to_contain_text("đúng như mong đợi", timeout=180_000)
    expect(page.locator("#package-job")).to_have_count(0)
