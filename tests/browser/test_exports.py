"""In Chromium: an organiser imports external scores (a bad file shows the error table, a good one is
stored), then, once the division's results are locked, downloads the prize list and the certificates."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Contest, Division, DivisionResult, ExternalScore, Participation, utcnow
from webapp.services.users import create_user, find_or_create_school

pytestmark = pytest.mark.browser


def login(page: Page, username: str) -> None:
    page.goto("/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret123")
    page.locator("form [type=submit]").click()
    expect(page.locator(".who")).to_be_visible()


def result_row(user, score: float, rank: int, award: str | None) -> dict:
    me = {"username": user.username, "full_name": user.full_name, "date_of_birth": "2012-03-09",
          "school": user.school.name, "grade": user.grade, "unit": "Quận 3"}
    return {"entrant": f"user:{user.id}", **me, "members": [me], "title": "", "division": "B", "score": score,
            "rank": rank, "award": award, "reason": "", "qualified": award is not None}


def test_import_scores_then_export_and_certificates(live_server, page):
    now = utcnow()
    contest = Contest(name="Hội thi Tin học trẻ thành phố 2026", year=2026, start_at=now - timedelta(hours=5), end_at=now - timedelta(hours=1))
    division = Division(code="B", name="Bảng B", levels="lower_secondary")
    contest.divisions.append(division)
    db.session.add(contest)
    school = find_or_create_school("Trường THCS Lê Quý Đôn", "Quận 3")
    tuyet = create_user("tuyet", "secret123", "student", full_name="Nguyễn Thị Ánh Tuyết", school_level="lower_secondary", grade=8, school=school)
    viet = create_user("viet", "secret123", "student", full_name="Đặng Quốc Việt", school_level="lower_secondary", grade=9, school=school)
    create_user("btc", "secret123", "organiser", full_name="Ban tổ chức")
    db.session.commit()
    for u in (tuyet, viet):
        db.session.add(Participation(contest_id=contest.id, division_id=division.id, user_id=u.id))
    db.session.commit()

    login(page, "btc")
    page.goto(f"/contests/{contest.id}/manage")
    page.get_by_role("link", name="Xuất kết quả").click()
    section = page.locator("#div-B")
    expect(section).to_contain_text("Nháp — chưa khoá")
    expect(section).to_contain_text("chưa thể xuất danh sách giải")
    section.get_by_role("link", name="Nhập điểm từ nơi khác").click()

    page.set_input_files("input[name=file]", files=[{"name": "diem.csv", "mimeType": "text/csv",
                                                     "buffer": "\ufeffTên đăng nhập;Điểm\ntuyet;95,5\nma;10\n".encode()}])
    page.locator("form.form [type=submit]").click()
    errors = page.locator("table.errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_have_text("3Tên đăng nhậpKhông có tài khoản “ma”.")
    assert db.session.scalars(select(ExternalScore)).all() == []

    page.set_input_files("input[name=file]", files=[{"name": "diem.csv", "mimeType": "text/csv",
                                                     "buffer": "\ufeffTên đăng nhập;Điểm\ntuyet;95,5\nviet;80\n".encode()}])
    page.fill("input[name=reason]", "Biên bản chấm bảng B")
    page.locator("form.form [type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("Đã nhập 2 điểm từ “diem.csv”")
    expect(page.locator("table").last).to_contain_text("Nguyễn Thị Ánh Tuyết")
    db.session.expire_all()
    assert {s.user_id: s.score for s in db.session.scalars(select(ExternalScore))} == {tuyet.id: 95.5, viet.id: 80.0}

    # the tally (another feature) locks the division: its frozen rows are what the files show
    db.session.add(DivisionResult(division_id=division.id, state="locked", locked_at=now,
                                  snapshot=[result_row(tuyet, 95.5, 1, "first"), result_row(viet, 80, 2, "consolation")]))
    db.session.commit()
    page.goto(f"/results/contest/{contest.id}/exports")
    expect(section).to_contain_text("Đã khoá")
    with page.expect_download() as info:
        section.get_by_role("link", name="Danh sách giải (XLSX)").click()
    assert info.value.suggested_filename == f"giai-{contest.id}-bang-B.xlsx"
    with open(info.value.path(), "rb") as f:
        ws = openpyxl.load_workbook(io.BytesIO(f.read())).active
    assert [c.value for c in ws[2]] == [1, "Nguyễn Thị Ánh Tuyết", "09/03/2012", "Trường THCS Lê Quý Đôn", 8, "Quận 3", "B", 95.5, "Nhất"]
    assert [c.value for c in ws[3]][1:9:7] == ["Đặng Quốc Việt", "Khuyến khích"]

    with page.expect_download() as info:
        section.get_by_role("link", name="Giấy chứng nhận — cả bảng (PDF, 2 trang)").click()
    assert info.value.suggested_filename == f"giay-chung-nhan-{contest.id}-bang-B.pdf"
    with open(info.value.path(), "rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    assert len(reader.pages) == 2
    assert "Nguyễn Thị Ánh Tuyết" in reader.pages[0].extract_text()
    assert "Đặng Quốc Việt" in reader.pages[1].extract_text()
