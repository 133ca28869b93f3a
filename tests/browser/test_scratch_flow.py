"""End to end in Chromium: a primary pupil uploads a Scratch 3 project (.sb3) on the problem page and
sees its per-test verdicts appear live; a broken .sb3 is refused with a message. Judged in Docker."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_contest_flow import expect_live_verdict, login
from webapp.extensions import db
from webapp.models import Contest, Division, Participation, utcnow
from webapp.services.problem_import import import_problem
from webapp.services.users import create_user, find_or_create_school

pytestmark = pytest.mark.browser

CONGDON = Path(__file__).resolve().parents[2] / "problems" / "congdon"


def primary_world() -> str:
    now = utcnow()
    contest = Contest(name="Hội thi Tin học trẻ thử", year=now.year, start_at=now - timedelta(hours=1),
                      end_at=now + timedelta(hours=4))
    division = Division(code="A", name="Bảng A", levels="primary", languages="scratch,python3")
    contest.divisions.append(division)
    db.session.add(contest)
    db.session.commit()
    problem = import_problem(division, CONGDON, publish=True)
    pupil = create_user("be_na", "secret123", "student", full_name="Lê Thị Na", school_level="primary", grade=4,
                        school=find_or_create_school("Tiểu học Kim Đồng", "Quận 1"))
    db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=pupil.id))
    db.session.commit()
    return f"/contests/problems/{problem.id}"


def test_pupil_uploads_sb3_and_sees_verdicts_live(live_server, judge_worker, page, tmp_path):
    url = primary_world()
    login(page, "be_na")
    page.goto(url)
    page.get_by_text("Nộp bài bằng Scratch 3 (tệp .sb3)").click()
    expect(page.locator(".scratch-help")).to_contain_text("read_token")
    # a broken file first: refused, with what to do
    broken = tmp_path / "hong.sb3"
    broken.write_bytes(b"PK\x03\x04 half a download")
    page.set_input_files("form.submit-form input[type=file]", str(broken))
    page.locator("form.submit-form [type=submit]").click()
    expect(page.locator(".flash-error")).to_contain_text("Lưu về máy tính")
    # then the real project
    page.set_input_files("form.submit-form input[type=file]", str(CONGDON / "submissions" / "accepted" / "congdon.sb3"))
    page.locator("form.submit-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/contests/submissions/\d+$"))
    expect_live_verdict(page, "AC", 5)
    expect(page.locator("[data-field=tests]")).not_to_contain_text("WA")
