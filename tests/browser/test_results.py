"""In Chromium: an organiser previews the tally with its reasons, adjusts one award with a reason,
locks and publishes; a contestant sees nothing before and the prizes after, on the public page."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.test_contest_flow import login, logout, make_account
from webapp.extensions import db
from webapp.models import Contest, Division, Participation, Problem, Submission, utcnow

pytestmark = pytest.mark.browser


def build_world():
    now = utcnow()
    contest = Contest(name="Hội thi Tin học trẻ thành phố", year=now.year, start_at=now - timedelta(hours=3),
                      end_at=now - timedelta(hours=1))
    division = Division(code="B", name="Bảng B", levels="lower_secondary")
    contest.divisions.append(division)
    db.session.add(contest)
    db.session.commit()
    problem = Problem(division_id=division.id, code="TONG", title_vi="Tính tổng", package_path="/nonexistent",
                      format="themis", published=True)
    db.session.add(problem)
    db.session.commit()
    people = [("hs1", "Nguyễn Thị Ánh", 90), ("hs2", "Trần Đức Huy", 70), ("hs3", "Lê Hoàng Yến", 40)]
    for username, name, score in people:
        u = make_account(username, full_name=name)
        db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=u.id))
        db.session.add(Submission(user_id=u.id, problem_id=problem.id, language="python3", source="print(1)",
                                  status="done", verdict="WA", score=score, max_score=100,
                                  created_at=contest.start_at + timedelta(minutes=5)))
    make_account("btc", role="organiser", full_name="Ban tổ chức")
    db.session.commit()
    return contest, division


def test_preview_adjust_publish_public_page(live_server, page, new_page):
    contest, division = build_world()
    student = new_page()
    login(student, "hs3")
    student.goto(f"/results/contest/{contest.id}")
    expect(student.locator("#no-results")).to_be_visible()
    expect(student.get_by_text("Nguyễn Thị Ánh")).to_have_count(0)

    login(page, "btc")
    page.goto(f"/results/contest/{contest.id}/manage")
    page.locator("#result-div-B").get_by_role("link", name="Quy tắc xét giải").click()
    page.select_option("#first_mode", "count")
    page.fill("input[name=first_value]", "1")
    page.select_option("#second_mode", "count")
    page.fill("input[name=second_value]", "1")
    page.select_option("#third_mode", "none")
    page.select_option("#consolation_mode", "none")
    page.fill("#max_total_fraction", "")
    page.get_by_role("button", name="Lưu quy tắc").click()

    # the preview: 90 first, 70 second, 40 nothing, each with its reason
    expect(page.locator("#result-state")).to_contain_text("Bản nháp")
    rows = page.locator("#tally tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".award")).to_have_text("Nhất")
    expect(rows.nth(1).locator(".award")).to_have_text("Nhì")
    expect(rows.nth(2).locator(".award")).to_have_text("—")
    expect(rows.nth(2).locator(".reason")).to_have_text("điểm 40 < 70, điểm chuẩn giải Nhì")

    # an adjustment with its mandatory reason
    page.select_option("#entrant", label="Lê Hoàng Yến (hs3)")
    page.select_option("#field", "award")
    page.fill("#value", "consolation")
    page.fill("#adjust-reason", "Hội đồng xét giải khuyến khích")
    page.get_by_role("button", name="Điều chỉnh", exact=True).click()
    expect(rows.nth(2).locator(".award")).to_have_text("Khuyến khích")
    expect(rows.nth(2).locator(".reason")).to_have_text("điều chỉnh: Hội đồng xét giải khuyến khích")
    expect(page.locator("#adjustments")).to_contain_text("Hội đồng xét giải khuyến khích")

    page.locator("#lock").click()
    expect(page.locator("#result-state")).to_contain_text("Đã khoá")
    expect(rows.nth(0).locator(".reason")).to_have_text("hạng 1, trong chỉ tiêu 1 của giải Nhất")
    student.reload()
    expect(student.locator("#no-results")).to_be_visible()  # locked is not published
    page.locator("#publish").click()
    expect(page.locator("#result-state")).to_contain_text("Đã công bố")
    # the organiser exports what was published: the prize list made from the real locked snapshot
    page.goto(f"/results/contest/{contest.id}/exports")
    with page.expect_download() as info:
        page.locator("#div-B").get_by_role("link", name="Danh sách giải (XLSX)").click()
    with open(info.value.path(), "rb") as f:
        ws = openpyxl.load_workbook(io.BytesIO(f.read())).active
    assert [(row[1], row[-1]) for row in ws.iter_rows(min_row=2, values_only=True)] == [
        ("Nguyễn Thị Ánh", "Nhất"), ("Trần Đức Huy", "Nhì"), ("Lê Hoàng Yến", "Khuyến khích")]

    student.reload()
    section = student.locator("#results-B")
    prizes = section.locator("table.prizes tbody tr")
    expect(prizes).to_have_count(3)
    expect(prizes.nth(0)).to_contain_text("Nhất")
    expect(prizes.nth(0)).to_contain_text("Nguyễn Thị Ánh")
    expect(prizes.nth(2)).to_contain_text("Lê Hoàng Yến")
    expect(prizes.nth(2)).to_contain_text("Khuyến khích")
    expect(student.locator("#my-result-B")).to_contain_text("Khuyến khích")
    section.get_by_role("link", name="Bảng xếp hạng chung cuộc").click()
    expect(student.locator(".notice-published")).to_be_visible()
    logout(page)
