"""In Chromium: a student creates a creative entry with a teammate and uploads the description PDF;
the organiser sees the entry, its members, school and file in the division's list."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.test_contest_flow import login, logout, make_account
from webapp.extensions import db
from webapp.models import Contest, CreativeEntry, Division, EntryFile, Participation, utcnow

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_student_creates_entry_with_teammate_and_organiser_sees_it(page, live_server):
    now = utcnow()
    contest = Contest(name="Hội thi Tin học trẻ thử", year=now.year, start_at=now - timedelta(hours=1),
                      end_at=now + timedelta(days=3))
    d2 = Division(code="D2", name="Bảng D2 — Sản phẩm sáng tạo THCS", levels="lower_secondary", content="creative")
    contest.divisions.append(d2)
    db.session.add(contest)
    db.session.commit()
    make_account("an", full_name="Nguyễn Văn An")
    make_account("binh", full_name="Trần Thị Bình")
    make_account("btc", role="organiser", full_name="Ban tổ chức")

    login(page, "an")
    page.get_by_role("link", name="Sản phẩm sáng tạo").first.click()
    page.get_by_role("link", name="Tạo bài dự thi D2").click()
    page.fill("input[name=title]", "Sổ tay từ vựng")
    page.select_option("select[name=category]", "mobile")
    page.fill("textarea[name=summary]", "Ứng dụng giúp học sinh ôn từ vựng tiếng Anh mỗi ngày.")
    page.fill("input[name=teammates]", "binh")
    page.fill("input[name=mentor_name]", "Cô Lan")
    page.fill("input[name=repo_url]", "https://git.example/an/so-tay")
    page.check("input[name=declared_not_awarded]")
    page.locator("#entry-form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/creative/entries/\d+$"))
    expect(page.locator("#entry-members")).to_contain_text("Trần Thị Bình")
    expect(page.locator("#entry-status")).to_contain_text("bản thuyết minh (PDF)")

    page.select_option("#upload-form select[name=kind]", "description")
    page.set_input_files("#upload-form input[name=file]",
                         files=[{"name": "Thuyết minh dự án.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.locator("#upload-form [type=submit]").click()
    expect(page.locator("#entry-files")).to_contain_text("Thuyết minh dự án.pdf")
    expect(page.locator(".flash-success")).to_contain_text("Đã tải lên")
    logout(page)

    entry = db.session.scalars(select(CreativeEntry)).one()
    assert [m.user.username for m in entry.members] == ["an", "binh"]
    assert db.session.scalar(select(EntryFile.original_name)) == "Thuyết minh dự án.pdf"
    assert sorted(db.session.scalars(select(Participation.division_id)).all()) == [d2.id, d2.id]

    login(page, "btc")
    page.get_by_role("link", name="Sản phẩm sáng tạo").first.click()
    page.locator("#creative-divisions").get_by_role("link", name="Danh sách bài").click()
    row = page.locator(f"#entry-{entry.id}")
    expect(row).to_contain_text("Sổ tay từ vựng")
    expect(row).to_contain_text("Nguyễn Văn An (an)")
    expect(row).to_contain_text("Trần Thị Bình (binh)")
    expect(row).to_contain_text("THCS Nguyễn Du")
    expect(row).to_contain_text("Bản thuyết minh (PDF)")
    expect(row).to_contain_text("Thiếu: sản phẩm")
