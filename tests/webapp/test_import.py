"""Bulk import of students: all or nothing, every error named by row and column."""
from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import User

HEADER = ["Họ và tên", "Ngày sinh", "Cấp học", "Lớp", "Trường", "Đơn vị", "Email", "Điện thoại"]
LEVELS = [("Tiểu học", 4), ("THCS", 8), ("THPT", 11)]


def rows(n: int) -> list[list]:
    out = []
    for i in range(n):
        level, grade = LEVELS[i % 3]
        out.append([f"Nguyễn Thị Ánh {i}", date(2026 - 6 - grade, 1 + i % 12, 1 + i % 28), level, grade,
                    f"Trường số {i % 7}", "Quận Bình Thạnh", "", ""])
    return out


def xlsx(data: list[list], header=HEADER) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in data:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def students() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == "student"))


@pytest.fixture
def organiser(client, make_user):
    make_user("btc", role="organiser")
    client.login("btc")
    return client


def upload(client, filename: str, payload: bytes):
    return client.post_form("/auth/import", {"file": (io.BytesIO(payload), filename)}, content_type="multipart/form-data")


def test_200_rows_with_one_bad_row_stores_nothing(organiser):
    data = rows(200)
    data[136][3] = 11  # row 138 in the sheet: a THPT grade for a primary student
    data[136][2] = "Tiểu học"
    resp = upload(organiser, "ds.xlsx", xlsx(data))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "<td>138</td><td>Lớp</td>" in html
    assert "Lớp 11 không thuộc cấp Tiểu học" in html
    assert students() == 0


def test_200_rows_good_file_stores_all_and_lists_passwords(organiser):
    resp = upload(organiser, "ds.xlsx", xlsx(rows(200)))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert students() == 200
    assert html.count("<code>") == 400  # a username and a password per student
    assert "data:text/csv;base64," in html
    u = db.session.scalar(select(User).where(User.full_name == "Nguyễn Thị Ánh 1"))
    assert u.school_level == "lower_secondary" and u.grade == 8 and u.username.startswith("anh.nt")


def test_every_error_listed(organiser):
    data = rows(3)
    data[0][0] = ""  # row 2: missing name
    data[1][1] = "32/13/2012"  # row 3: bad date
    data[2][2] = "Đại học"  # row 4: bad level
    html = upload(organiser, "ds.xlsx", xlsx(data)).get_data(as_text=True)
    assert "<td>2</td><td>Họ và tên</td>" in html
    assert "<td>3</td><td>Ngày sinh</td>" in html
    assert "<td>4</td><td>Cấp học</td>" in html
    assert students() == 0


def test_csv_utf8_with_bom_and_semicolons(organiser):
    text = "Họ và tên;Ngày sinh;Cấp học;Lớp;Trường\nĐặng Thuỳ Dương;05/09/2012;THCS;8;THCS Lê Lợi\n"
    resp = upload(organiser, "ds.csv", ("\ufeff" + text).encode("utf-8"))
    assert resp.status_code == 200
    u = db.session.scalar(select(User).where(User.role == "student"))
    assert u.full_name == "Đặng Thuỳ Dương" and u.username == "duong.dt" and u.date_of_birth == date(2012, 9, 5)


def test_csv_not_utf8_refused(organiser):
    text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường\nĐặng Dương,05/09/2012,THCS,8,Lê Lợi\n"
    resp = upload(organiser, "ds.csv", text.encode("cp1258", errors="replace"))
    assert resp.status_code == 422
    assert "không phải UTF-8" in resp.get_data(as_text=True)
    assert students() == 0


def test_missing_column_named(organiser):
    resp = upload(organiser, "ds.csv", "Họ và tên,Ngày sinh,Lớp,Trường\nA,01/01/2012,7,X\n".encode())
    assert resp.status_code == 422
    assert "Thiếu cột “Cấp học”" in resp.get_data(as_text=True)


def test_malformed_xlsx_refused(organiser):
    resp = upload(organiser, "ds.xlsx", b"PK\x03\x04 this is not really a workbook")
    assert resp.status_code == 422
    assert "ds.xlsx" in resp.get_data(as_text=True)
    assert students() == 0


def test_oversized_file_refused(organiser, app):
    app.config["IMPORT_MAX_BYTES"] = 10_000
    resp = upload(organiser, "ds.csv", b"x" * 20_000)
    assert resp.status_code == 422
    assert "Tệp quá lớn" in resp.get_data(as_text=True)


def test_wrong_extension_refused(organiser):
    resp = upload(organiser, "ds.pdf", b"%PDF-1.4")
    assert resp.status_code == 422
    assert "Chỉ nhận tệp .xlsx hoặc .csv" in resp.get_data(as_text=True)


def test_username_clash_with_database(organiser, make_user):
    make_user("duong.dt")
    text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường,Tên đăng nhập\nĐặng Dương,05/09/2012,THCS,8,Lê Lợi,duong.dt\n"
    resp = upload(organiser, "ds.csv", text.encode())
    assert resp.status_code == 422
    assert "<td>2</td><td>Tên đăng nhập</td>" in resp.get_data(as_text=True)
    assert students() == 1


def test_generated_usernames_unique(organiser):
    text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường\n" + "Trần An,01/01/2012,THCS,8,X\n" * 3
    assert upload(organiser, "ds.csv", text.encode()).status_code == 200
    names = sorted(db.session.scalars(select(User.username).where(User.role == "student")))
    assert names == ["an.t", "an.t2", "an.t3"]
