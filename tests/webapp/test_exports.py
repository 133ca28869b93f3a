"""Exports of prizes and qualifiers (XLSX, CSV) and PDF certificates, made from frozen result rows."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from pypdf import PdfReader

from webapp.extensions import db
from webapp.models import DivisionResult
from webapp.services.exports import NotFinal, contest_qualifier_rows

CONTEST_NAME = "Hội thi Tin học trẻ thành phố 2026"


def person(username, full_name, dob, school, grade, unit):
    return {"username": username, "full_name": full_name, "date_of_birth": dob, "school": school, "grade": grade, "unit": unit}


def row(entrant, division, score, rank, award, qualified, members, title=""):
    """A result row in the shape of services.results (the contract with the tally)."""
    first = members[0]
    return {
        "entrant": entrant, "username": first["username"] if len(members) == 1 else ", ".join(m["username"] for m in members),
        "full_name": ", ".join(m["full_name"] for m in members),
        "date_of_birth": first["date_of_birth"], "school": first["school"], "grade": first["grade"], "unit": first["unit"],
        "members": members, "title": title, "division": division, "score": score, "rank": rank, "award": award,
        "reason": "", "qualified": qualified,
    }


TUYET = person("tuyet", "Nguyễn Thị Ánh Tuyết", "2012-03-09", "Trường THCS Lê Quý Đôn", 8, "Quận 3")
AN = person("an", "Trần Văn An", "2011-11-15", "Trường THCS Lê Lợi", 9, "Quận 1")
BINH = person("binh", "Lê Thị Bình", "2013-01-02", "Trường THCS Lê Lợi", 7, "Quận 1")
CUONG = person("cuong", "Phạm Cường", "2012-06-30", "Trường THCS Chu Văn An", 8, "Quận Bình Thạnh")
VIET = person("viet.dq", "Đặng Quốc Việt", "2010-05-20", "Trường THPT Nguyễn Du", 10, "Quận 10")
HAN = person("han", "Hoàng Ngọc Hân", "2010-12-01", "Trường THPT Nguyễn Du", 10, "Quận 10")
KHOI = person("khoi", "Vũ Minh Khôi", "2009-08-08", "Trường THPT Trần Phú", 11, "Quận Tân Bình")

B_ROWS = [
    row("user:1", "B", 263.5, 1, "first", True, [TUYET]),
    row("user:2", "B", 200.0, 2, "second", True, [AN]),
    row("user:3", "B", 150.0, 3, "consolation", False, [BINH]),
    row("user:4", "B", 20.0, 4, None, False, [CUONG]),
]
D3_ROWS = [
    row("entry:5", "D3", 87.5, 1, "first", True, [VIET, HAN], "Ứng dụng ôn tập Tiếng Việt"),
    row("entry:6", "D3", 70.0, 2, "third", None, [KHOI], "Trò chơi ô chữ Sử Việt"),
]


@pytest.fixture
def world(make_contest):
    """Contest with A (draft: no results yet), B (locked) and D3 (published, creative)."""
    contest = make_contest(name=CONTEST_NAME, divisions=(("A", "primary", "programming"), ("B", "lower_secondary", "programming"),
                                                         ("D3", "upper_secondary", "creative")))
    a, b, d3 = contest.divisions
    db.session.add(DivisionResult(division_id=b.id, state="locked", snapshot=B_ROWS, locked_at=datetime(2026, 11, 20, 18, 30)))
    db.session.add(DivisionResult(division_id=d3.id, state="published", snapshot=D3_ROWS,
                                  locked_at=datetime(2026, 11, 20, 3, 0), published_at=datetime(2026, 11, 21, 17, 30)))
    db.session.commit()
    return contest, a, b, d3


@pytest.fixture
def organiser(client, make_user):
    make_user("btc", role="organiser")
    client.login("btc")
    return client


HEADER = ["STT", "Họ và tên", "Ngày sinh", "Trường", "Lớp", "Đơn vị", "Bảng", "Điểm", "Giải"]
B_PRIZES = [
    HEADER,
    [1, "Nguyễn Thị Ánh Tuyết", "09/03/2012", "Trường THCS Lê Quý Đôn", 8, "Quận 3", "B", 263.5, "Nhất"],
    [2, "Trần Văn An", "15/11/2011", "Trường THCS Lê Lợi", 9, "Quận 1", "B", 200, "Nhì"],
    [3, "Lê Thị Bình", "02/01/2013", "Trường THCS Lê Lợi", 7, "Quận 1", "B", 150, "Khuyến khích"],
]
D3_PRIZES = [
    HEADER + ["Tên sản phẩm"],
    [1, "Đặng Quốc Việt", "20/05/2010", "Trường THPT Nguyễn Du", 10, "Quận 10", "D3", 87.5, "Nhất", "Ứng dụng ôn tập Tiếng Việt"],
    [2, "Hoàng Ngọc Hân", "01/12/2010", "Trường THPT Nguyễn Du", 10, "Quận 10", "D3", 87.5, "Nhất", "Ứng dụng ôn tập Tiếng Việt"],
    [3, "Vũ Minh Khôi", "08/08/2009", "Trường THPT Trần Phú", 11, "Quận Tân Bình", "D3", 70, "Ba", "Trò chơi ô chữ Sử Việt"],
]
QUALIFIERS = [
    HEADER + ["Tên sản phẩm"],
    [1, "Nguyễn Thị Ánh Tuyết", "09/03/2012", "Trường THCS Lê Quý Đôn", 8, "Quận 3", "B", 263.5, "Nhất", None],
    [2, "Trần Văn An", "15/11/2011", "Trường THCS Lê Lợi", 9, "Quận 1", "B", 200, "Nhì", None],
    [3, "Đặng Quốc Việt", "20/05/2010", "Trường THPT Nguyễn Du", 10, "Quận 10", "D3", 87.5, "Nhất", "Ứng dụng ôn tập Tiếng Việt"],
    [4, "Hoàng Ngọc Hân", "01/12/2010", "Trường THPT Nguyễn Du", 10, "Quận 10", "D3", 87.5, "Nhất", "Ứng dụng ôn tập Tiếng Việt"],
]


def sheet(data: bytes) -> list[list]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert len(wb.worksheets) == 1
    ws = wb.active
    return [list(r) for r in ws.iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel then reads UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def as_text(table: list[list]) -> list[list[str]]:
    return [["" if c is None else str(c) for c in r] for r in table]


def lock(division_id: int, rows: list[dict]) -> None:
    db.session.add(DivisionResult(division_id=division_id, state="locked", snapshot=rows))
    db.session.commit()


def test_prizes_xlsx_every_cell(world, organiser):
    contest, _, b, d3 = world
    resp = organiser.get(f"/results/contest/{contest.id}/division/{b.id}/prizes.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="giai-{contest.id}-bang-B.xlsx"' in resp.headers["Content-Disposition"]
    assert sheet(resp.data) == B_PRIZES
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert wb.active.title == "Giải bảng B" and wb.active["A1"].font.b and wb.active.freeze_panes == "A2"

    resp = organiser.get(f"/results/contest/{contest.id}/division/{d3.id}/prizes.xlsx")
    assert sheet(resp.data) == D3_PRIZES  # a team: one line per member, same score and award


def test_prizes_csv_bom_and_diacritics(world, organiser):
    contest, _, b, d3 = world
    resp = organiser.get(f"/results/contest/{contest.id}/division/{b.id}/prizes.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert csv_rows(resp.data) == as_text(B_PRIZES)
    assert "Nguyễn Thị Ánh Tuyết".encode() in resp.data and b"\r\n" in resp.data
    resp = organiser.get(f"/results/contest/{contest.id}/division/{d3.id}/prizes.csv")
    assert csv_rows(resp.data) == as_text(D3_PRIZES)


def test_qualifiers_need_every_division_locked(world, organiser):
    contest, a, _, _ = world
    with pytest.raises(NotFinal) as exc:
        contest_qualifier_rows(contest.id)
    assert exc.value.codes == ["A"]
    for fmt in ("xlsx", "csv"):
        resp = organiser.get(f"/results/contest/{contest.id}/qualifiers.{fmt}")
        assert resp.status_code == 409 and resp.mimetype == "text/html"
        assert "Kết quả của bảng A chưa khoá, nên chưa có tệp chính thức." in resp.get_data(as_text=True)

    lock(a.id, [])  # A locked with nobody ranked
    resp = organiser.get(f"/results/contest/{contest.id}/qualifiers.xlsx")
    assert resp.status_code == 200
    assert sheet(resp.data) == QUALIFIERS
    resp = organiser.get(f"/results/contest/{contest.id}/qualifiers.csv")
    assert csv_rows(resp.data) == as_text(QUALIFIERS)


def test_draft_division_gives_no_file(world, organiser):
    contest, a, _, _ = world
    for path in ("prizes.xlsx", "prizes.csv", "certificates.pdf", "certificate/tuyet.pdf"):
        resp = organiser.get(f"/results/contest/{contest.id}/division/{a.id}/{path}")
        assert resp.status_code == 409, path
        assert "Kết quả của bảng A chưa khoá" in resp.get_data(as_text=True)
    html = organiser.get(f"/results/contest/{contest.id}/exports").get_data(as_text=True)
    assert "Kết quả bảng A chưa khoá: chưa thể xuất danh sách giải hay in giấy chứng nhận." in html
    assert "Danh sách vào vòng sau chỉ xuất được khi mọi bảng đã khoá kết quả." in html
    assert f"/results/contest/{contest.id}/division/{a.id}/prizes.xlsx" not in html
    assert f"/results/contest/{contest.id}/qualifiers.xlsx" not in html


def pdf_pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:  # A4 landscape: 297 × 210 mm = 841.89 × 595.28 pt
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)
    return [page.extract_text() for page in reader.pages]


def test_merged_certificates_one_page_per_winner_with_vietnamese_names(world, organiser):
    contest, _, b, d3 = world
    resp = organiser.get(f"/results/contest/{contest.id}/division/{b.id}/certificates.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages = pdf_pages(resp.data)
    assert len(pages) == 3  # Tuyết, An, Bình; Cường has no prize
    for text, name, award in zip(pages, ["Nguyễn Thị Ánh Tuyết", "Trần Văn An", "Lê Thị Bình"], ["NHẤT", "NHÌ", "KHUYẾN KHÍCH"]):
        assert "GIẤY CHỨNG NHẬN" in text and name in text and f"Đã đạt giải {award}" in text
        assert CONTEST_NAME.upper() in text and "Bảng B" in text
    assert "Học sinh lớp 8 – Trường THCS Lê Quý Đôn – Quận 3" in pages[0]
    assert "Ngày 21 tháng 11 năm 2026" in pages[0]  # locked 20/11 18:30 UTC = 21/11 01:30 in Vietnam (UTC+7)
    assert "Số: 2026/B/001" in pages[0] and "Số: 2026/B/003" in pages[2]
    assert "Phạm Cường" not in "".join(pages)

    resp = organiser.get(f"/results/contest/{contest.id}/division/{d3.id}/certificates.pdf")
    pages = pdf_pages(resp.data)
    assert len(pages) == 3  # the team's two members, then Khôi
    assert "Đặng Quốc Việt" in pages[0] and "Hoàng Ngọc Hân" in pages[1] and "Vũ Minh Khôi" in pages[2]
    assert all("Sản phẩm: “Ứng dụng ôn tập Tiếng Việt”" in p for p in pages[:2])
    assert "Đã đạt giải BA" in pages[2]
    assert "Ngày 22 tháng 11 năm 2026" in pages[0]  # published 21/11 17:30 UTC


def test_single_certificate(world, organiser):
    contest, _, b, d3 = world
    resp = organiser.get(f"/results/contest/{contest.id}/division/{d3.id}/certificate/viet.dq.pdf")
    assert resp.status_code == 200
    assert f'filename="giay-chung-nhan-{contest.id}-D3-viet.dq.pdf"' in resp.headers["Content-Disposition"]
    pages = pdf_pages(resp.data)
    assert len(pages) == 1 and "Đặng Quốc Việt" in pages[0] and "Hoàng Ngọc Hân" not in pages[0]
    assert organiser.get(f"/results/contest/{contest.id}/division/{b.id}/certificate/cuong.pdf").status_code == 404  # no prize
    assert organiser.get(f"/results/contest/{contest.id}/division/{b.id}/certificate/viet.dq.pdf").status_code == 404  # other division


def test_missing_font_is_a_clear_error(world, organiser, monkeypatch, tmp_path):
    contest, _, b, _ = world
    monkeypatch.setenv("CERT_FONT_DIR", str(tmp_path / "no-fonts"))
    resp = organiser.get(f"/results/contest/{contest.id}/division/{b.id}/certificates.pdf")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 503
    assert f"Thiếu phông chữ {tmp_path / 'no-fonts' / 'DejaVuSerif.ttf'}" in html
    assert "Hãy cài gói Debian fonts-dejavu-core" in html


def test_exports_page_lists_downloads(world, organiser):
    contest, a, b, d3 = world
    lock(a.id, [])
    html = organiser.get(f"/results/contest/{contest.id}/exports").get_data(as_text=True)
    base = f"/results/contest/{contest.id}"
    for path in (f"/division/{b.id}/prizes.xlsx", f"/division/{b.id}/prizes.csv", f"/division/{b.id}/certificates.pdf",
                 f"/division/{b.id}/certificate/tuyet.pdf", f"/division/{d3.id}/certificate/han.pdf",
                 f"/division/{b.id}/import-scores", "/qualifiers.xlsx", "/qualifiers.csv"):
        assert f'href="{base}{path}"' in html, path
    assert f"{base}/division/{b.id}/certificate/cuong.pdf" not in html
    assert "Giấy chứng nhận — cả bảng (PDF, 3 trang)" in html
    assert "Bảng này không có giải nào." in html  # A
    assert f'href="{base}/exports"' in organiser.get(f"/contests/{contest.id}/manage").get_data(as_text=True)


def test_students_and_judges_get_403(world, client, make_user):
    contest, _, b, _ = world
    base = f"/results/contest/{contest.id}"
    urls = [f"{base}/exports", f"{base}/qualifiers.xlsx", f"{base}/qualifiers.csv",
            f"{base}/division/{b.id}/prizes.xlsx", f"{base}/division/{b.id}/prizes.csv",
            f"{base}/division/{b.id}/certificates.pdf", f"{base}/division/{b.id}/certificate/tuyet.pdf",
            f"{base}/division/{b.id}/import-scores"]
    for url in urls:
        assert client.get(url).status_code == 302, url  # anonymous: to the login page
    make_user("tuyet")
    make_user("gk", role="judge")
    for username in ("tuyet", "gk"):
        client.login(username)
        for url in urls:
            assert client.get(url).status_code == 403, (username, url)
        client.post_form("/auth/logout", {}, form_url="/")


def test_missing_details_are_empty_cells_not_text(app):
    from webapp.services.exports import table, to_xlsx

    bare = person("x", "Lý Thị Ngọc", "", "", None, "")
    rows = [row("user:9", "A", None, 1, "third", True, [bare])]
    assert table(rows)[1] == [1, "Lý Thị Ngọc", "", "", None, "", "A", None, "Ba"]
    assert sheet(to_xlsx(rows, "Giải bảng A"))[1] == [1, "Lý Thị Ngọc", None, None, None, None, "A", None, "Ba"]
