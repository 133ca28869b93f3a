"""In Chromium: a judge scores an assigned creative entry (draft, then submit) and the organiser's
ranking page changes; the submitted sheet is locked in the judge's form."""
from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.webapp.creative_factories import make_entry, make_judge, make_student
from webapp.extensions import db
from webapp.models import Contest, Division, JudgeAssignment, utcnow
from webapp.services import creative_ops as ops
from webapp.services.users import create_user

pytestmark = pytest.mark.browser


def login(page, username: str) -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret123")
    page.locator("form [type=submit]").click()
    expect(page.locator(".who")).to_be_visible()


def test_judge_scores_and_organiser_ranking_changes(live_server, page, new_page):
    now = utcnow()
    contest = Contest(name="Hội thi sáng tạo thử", year=now.year, start_at=now - timedelta(hours=1), end_at=now + timedelta(days=3))
    division = Division(code="D2", name="Bảng D2", levels="lower_secondary", content="creative")
    contest.divisions.append(division)
    db.session.add(contest)
    db.session.commit()
    first = make_entry(division, [make_student("hs1", "THCS A")], "Máy tưới cây")
    second = make_entry(division, [make_student("hs2", "THCS B")], "Trò chơi toán")
    judge = make_judge("gk1", "THCS C")
    other = make_judge("gk2", "THCS D")
    create_user("btc", "secret123", "organiser", full_name="Ban tổ chức")
    db.session.commit()
    for e in (first, second):
        db.session.add(JudgeAssignment(entry_id=e.id, judge_id=judge.id, round=1))
    db.session.add(JudgeAssignment(entry_id=second.id, judge_id=other.id, round=1))
    db.session.commit()
    ops.save_sheet(second, other, 1, {c.key: v for c, v in zip(ops.criteria(division), [20, 20, 15, 15])}, submit=True)  # 70

    organiser = new_page()
    login(organiser, "btc")
    organiser.goto(f"/creative/org/{division.id}/ranking")
    rows = organiser.locator("#ranking tbody tr")
    expect(rows.first).to_have_attribute("data-entry", str(second.id))
    expect(rows.first.locator(".score")).to_have_text("70.00")
    expect(organiser.locator(f"#ranking tr[data-entry='{first.id}'] .rank")).to_have_text("—")

    login(page, "gk1")
    page.get_by_role("link", name="Chấm sản phẩm sáng tạo").click()
    expect(page.locator("#judge-progress")).to_contain_text("Đã nộp 0 / 2")
    page.get_by_role("link", name=f"#{first.id} — Máy tưới cây").click()
    inputs = page.locator("form.sheet-form input[type=number]")
    expect(inputs).to_have_count(4)
    for i, value in enumerate(["28", "22", "20", "15"]):  # 85
        inputs.nth(i).fill(value)
    page.fill("textarea[name=comment]", "Ý tưởng rất thực tế")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã lưu nháp")
    # a draft does not change the ranking
    organiser.reload()
    expect(organiser.locator(f"#ranking tr[data-entry='{first.id}'] .rank")).to_have_text("—")

    page.get_by_role("button", name="Nộp phiếu chấm").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã nộp phiếu chấm")
    expect(page.locator("#sheet-locked")).to_be_visible()
    expect(page.locator("#sheet-total")).to_have_text("85.00")
    expect(page.get_by_role("button", name="Nộp phiếu chấm")).to_have_count(0)

    organiser.reload()
    rows = organiser.locator("#ranking tbody tr")
    expect(rows.first).to_have_attribute("data-entry", str(first.id))
    expect(rows.first.locator(".score")).to_have_text("85.00")
    expect(rows.first.locator(".rank")).to_have_text("1")
    expect(rows.nth(1).locator(".rank")).to_have_text("2")
