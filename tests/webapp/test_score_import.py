"""Import of external scores: all or nothing, every error by row and column, a good file replaces."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditLog, CreativeEntry, DivisionResult, EntryMember, ExternalScore, Problem
from webapp.services.score_import import ScoreImportError, parse_scores
from webapp.services.users import find_or_create_school

LIMITS = (2 * 1024 * 1024, 5000)


@pytest.fixture
def world(make_contest, make_user, admit):
    """Contest with B (programming: two problems of 100 → max 200) and D2 (creative, max 100).
    In B: an, binh, and two "Nguyễn Thị Ánh Tuyết" — one at Lê Lợi, one at Lê Quý Đôn — plus two
    "Trần Minh Đức" at the same school. khoa exists but is not in B."""
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    b, d2 = contest.divisions
    for i in (1, 2):
        db.session.add(Problem(division_id=b.id, code=f"P{i}", title_vi=f"Bài {i}", package_path="-", format="themis", max_score=100))
    users = {}
    for username, name, school in [
        ("an", "Trần Văn An", "Trường THCS Lê Lợi"),
        ("binh", "Lê Thị Bình", "Trường THCS Lê Lợi"),
        ("tuyet1", "Nguyễn Thị Ánh Tuyết", "Trường THCS Lê Lợi"),
        ("tuyet2", "Nguyễn Thị Ánh Tuyết", "Trường THCS Lê Quý Đôn"),
        ("duc1", "Trần Minh Đức", "Trường THCS Lê Lợi"),
        ("duc2", "Trần Minh Đức", "Trường THCS Lê Lợi"),
        ("khoa", "Phạm Đăng Khoa", "Trường THCS Lê Lợi"),
    ]:
        u = make_user(username, full_name=name)
        u.school = find_or_create_school(school, "Quận 3")
        users[username] = u
    db.session.commit()
    for username in ("an", "binh", "tuyet1", "tuyet2", "duc1", "duc2"):
        admit(users[username], b)
    return contest, b, d2, users


def csv_bytes(text: str, bom: bool = False) -> bytes:
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def xlsx(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def stored() -> dict[str, float]:
    return {s.user.username: s.score for s in db.session.scalars(select(ExternalScore))}


def audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == "results.import_scores").order_by(AuditLog.id)))


@pytest.fixture
def organiser(client, make_user):
    make_user("btc", role="organiser")
    client.login("btc")
    return client


def upload(client, contest, division, filename: str, payload: bytes, reason: str = ""):
    url = f"/results/contest/{contest.id}/division/{division.id}/import-scores"
    return client.post_form(url, {"file": (io.BytesIO(payload), filename), "reason": reason}, content_type="multipart/form-data")


def test_every_bad_row_reported_by_row_and_column_nothing_stored(world):
    contest, b, _, _ = world
    text = ("Tên đăng nhập,Điểm\n"
            "an,150\n"        # row 2: fine
            "ghost,10\n"      # row 3: unknown user
            "khoa,20\n"       # row 4: not in B
            "an,30\n"         # row 5: duplicate of row 2
            "binh,abc\n"      # row 6: not a number
            "tuyet1,-1\n"     # row 7: negative
            "tuyet2,250\n"    # row 8: above 200
            "duc1,\n"         # row 9: missing score
            ",40\n")          # row 10: nobody
    rows, errors = parse_scores(b, "diem.csv", csv_bytes(text), *LIMITS)
    assert rows == []
    got = [(e.row, e.column, e.message) for e in errors]
    assert got == [
        (3, "Tên đăng nhập", "Không có tài khoản “ghost”."),
        (4, "Tên đăng nhập", "“khoa” (Phạm Đăng Khoa) không thi bảng B."),
        (5, "Tên đăng nhập", "“an” đã có ở dòng 2."),
        (6, "Điểm", "“abc” không phải một số."),
        (7, "Điểm", "Điểm -1 âm."),
        (8, "Điểm", "Điểm 250 lớn hơn điểm tối đa của bảng B (200)."),
        (9, "Điểm", "Thiếu điểm."),
        (10, "Tên đăng nhập", "Thiếu tên đăng nhập."),
    ]


def test_bad_file_through_the_page_shows_error_table_and_stores_nothing(world, organiser):
    contest, b, _, _ = world
    resp = upload(organiser, contest, b, "diem.xlsx", xlsx([["Username", "Score"], ["an", 10], ["ghost", 5], ["binh", "x"]]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "có 2 lỗi, chưa lưu điểm nào" in html
    assert "<td>3</td><td>Username</td><td>Không có tài khoản “ghost”.</td>" in html
    assert "<td>4</td><td>Score</td><td>“x” không phải một số.</td>" in html
    assert stored() == {} and audits() == []


def test_name_and_school_columns(world):
    contest, b, _, users = world
    rows, errors = parse_scores(b, "diem.xlsx", xlsx([
        ["Họ và tên", "Trường", "Điểm"],
        ["  nguyễn thị ánh   TUYẾT ", "Trường THCS Lê Quý Đôn", 180.5],   # case and spacing ignored
        ["Trần Minh Đức", "Trường THCS Lê Lợi", 90],                     # two such people: ambiguous
        ["Nguyen Thi Anh Tuyet", "Trường THCS Lê Lợi", 70],               # no diacritics: not the same name
        ["Trần Văn An", "Trường THCS Lê Quý Đôn", 50],                    # An is at Lê Lợi
        ["Phạm Đăng Khoa", "Trường THCS Lê Lợi", 60],                     # exists, not in B
    ]), *LIMITS)
    assert [(e.row, e.column) for e in errors] == [(3, "Họ và tên"), (4, "Họ và tên"), (5, "Họ và tên"), (6, "Họ và tên")]
    assert errors[0].message == "Có 2 thí sinh tên “Trần Minh Đức” ở trường “Trường THCS Lê Lợi” (duc1, duc2): hãy dùng cột “Tên đăng nhập”."
    assert "Không có thí sinh “Nguyen Thi Anh Tuyet” ở trường “Trường THCS Lê Lợi”" in errors[1].message
    assert "Không có thí sinh “Trần Văn An” ở trường “Trường THCS Lê Quý Đôn”" in errors[2].message
    assert errors[3].message == "“khoa” (Phạm Đăng Khoa) không thi bảng B."

    rows, errors = parse_scores(b, "diem.xlsx", xlsx([
        ["Họ và tên", "Trường", "Tổng điểm"],
        ["Nguyễn Thị Ánh Tuyết", "Trường THCS Lê Quý Đôn", 180.5],
        ["Nguyễn Thị Ánh Tuyết", "trường thcs lê lợi", "120"],
    ]), *LIMITS)
    assert errors == []
    assert [(r.row, r.user_id, r.score) for r in rows] == [(2, users["tuyet2"].id, 180.5), (3, users["tuyet1"].id, 120.0)]


@pytest.mark.parametrize("text,bom", [
    ("username;score\nan;7,5\nbinh;10\n", False),            # semicolon, decimal comma
    ("username;score\nan;7,5\nbinh;10\n", True),
    ("Tên đăng nhập\tĐiểm\nan\t7.5\nbinh\t10\n", True),      # tab
    ('tài khoản,điểm\nAN,"7,5"\nbinh,10.0\n', False),        # comma, quoted decimal comma, upper case
])
def test_csv_dialects(world, text, bom):
    _, b, _, users = world
    rows, errors = parse_scores(b, "diem.csv", csv_bytes(text, bom), *LIMITS)
    assert errors == []
    assert [(r.username, r.score) for r in rows] == [("an", 7.5), ("binh", 10.0)]


def test_unusable_files(world):
    _, b, _, _ = world
    cases = [
        ("diem.csv", "Họ và tên,Điểm\nAn,5\n".encode(), "cần cột “Điểm” và cột “Tên đăng nhập”"),
        ("diem.csv", "username,score\nan,5\n".encode("utf-16"), "không phải UTF-8"),
        ("diem.csv", b"", "Tệp rỗng."),
        ("diem.csv", b"username,score\n", "chỉ có dòng tiêu đề"),
        ("diem.txt", b"username,score\nan,5\n", "Chỉ nhận tệp .xlsx hoặc .csv"),
        ("diem.xlsx", b"username,score\nan,5\n", "không phải tệp Excel .xlsx hợp lệ"),
    ]
    for filename, data, message in cases:
        with pytest.raises(ScoreImportError) as exc:
            parse_scores(b, filename, data, *LIMITS)
        assert message in str(exc.value), (filename, str(exc.value))
    with pytest.raises(ScoreImportError, match="Tệp quá lớn"):
        parse_scores(b, "diem.csv", b"username,score\n" + b"an,5\n" * 100, 200, 5000)


def test_good_import_replaces_earlier_scores_of_the_same_users_and_audits(world, organiser):
    contest, b, _, _ = world
    resp = upload(organiser, contest, b, "lan1.csv", csv_bytes("username,score\nan,50\nbinh,60\n"), reason="Biên bản số 1")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "Đã nhập 2 điểm từ “lan1.csv” (0 điểm thay cho lần nhập trước)." in resp.get_data(as_text=True)
    assert stored() == {"an": 50.0, "binh": 60.0}

    resp = upload(organiser, contest, b, "lan2.xlsx", xlsx([["Tên đăng nhập", "Điểm"], ["binh", 70], ["tuyet1", 80.25]]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Đã nhập 2 điểm từ “lan2.xlsx” (1 điểm thay cho lần nhập trước)." in html
    assert stored() == {"an": 50.0, "binh": 70.0, "tuyet1": 80.25}  # an kept, binh replaced, tuyet1 added
    assert "<td>tuyet1</td><td>Nguyễn Thị Ánh Tuyết</td><td>80.25</td>" in html

    first, second = audits()
    assert first.target == f"division:{b.id}" and first.details["reason"] == "Biên bản số 1"
    assert second.details["before"] == {"binh": 60.0, "tuyet1": None}
    assert second.details["after"] == {"binh": 70.0, "tuyet1": 80.25}
    assert second.details["file"] == "lan2.xlsx" and second.details["replaced"] == 1
    btc_id = first.user_id
    assert btc_id is not None and second.user_id == btc_id


def test_bad_second_import_keeps_the_first(world, organiser):
    contest, b, _, _ = world
    upload(organiser, contest, b, "lan1.csv", csv_bytes("username,score\nan,50\nbinh,60\n"))
    resp = upload(organiser, contest, b, "lan2.csv", csv_bytes("username,score\nan,99\nbinh,999\n"))
    assert resp.status_code == 422
    assert stored() == {"an": 50.0, "binh": 60.0}
    assert len(audits()) == 1


def test_creative_division_members_and_max_100(world):
    contest, _, d2, users = world
    entry = CreativeEntry(contest_id=contest.id, division_id=d2.id, title="Trò chơi ô chữ")
    entry.members.append(EntryMember(division_id=d2.id, user_id=users["khoa"].id))
    db.session.add(entry)
    db.session.commit()
    rows, errors = parse_scores(d2, "d2.csv", csv_bytes("username,score\nkhoa,101\nan,50\n"), *LIMITS)
    assert [(e.row, e.message) for e in errors] == [
        (2, "Điểm 101 lớn hơn điểm tối đa của bảng D2 (100)."),
        (3, "“an” (Trần Văn An) không thi bảng D2."),
    ]
    rows, errors = parse_scores(d2, "d2.csv", csv_bytes("username,score\nkhoa,100\n"), *LIMITS)
    assert errors == [] and rows[0].score == 100.0


def test_locked_division_refuses_imports(world, organiser):
    contest, b, _, _ = world
    db.session.add(DivisionResult(division_id=b.id, state="locked", snapshot=[]))
    db.session.commit()
    with pytest.raises(ScoreImportError, match="đã khoá"):
        parse_scores(b, "diem.csv", csv_bytes("username,score\nan,5\n"), *LIMITS)
    resp = upload(organiser, contest, b, "diem.csv", csv_bytes("username,score\nan,5\n"))
    assert resp.status_code == 422 and "Kết quả bảng B đã khoá" in resp.get_data(as_text=True)
    assert stored() == {}


def test_import_page_is_for_organisers_only(world, client, make_user):
    contest, b, _, _ = world
    url = f"/results/contest/{contest.id}/division/{b.id}/import-scores"
    assert client.get(url).status_code == 302  # to the login page
    make_user("gk", role="judge")
    for username in ("an", "gk"):
        client.login(username)
        assert client.get(url).status_code == 403
        assert client.post(url, data={}).status_code in (400, 403)  # no CSRF token, or no right: never stored
        client.post_form("/auth/logout", {}, form_url="/")
    assert stored() == {}


def test_cli_import_scores(world, tmp_path, app):
    contest, b, _, _ = world
    runner = app.test_cli_runner()
    good = tmp_path / "diem.csv"
    good.write_bytes(csv_bytes("username,score\nan,150\nbinh,99.5\n", bom=True))
    result = runner.invoke(args=["results", "import-scores", "--contest", str(contest.id), "--division", "B", str(good)])
    assert result.exit_code == 0, result.output
    assert "imported 2 scores into division B (0 replaced)" in result.output
    assert stored() == {"an": 150.0, "binh": 99.5}
    assert audits()[0].user_id is None and audits()[0].details["reason"] == "cli import of diem.csv"

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["username", "score"], ["an", 10], ["ghost", 5], ["binh", -3]]))
    result = runner.invoke(args=["results", "import-scores", "--contest", str(contest.id), "--division", "B", str(bad)])
    assert result.exit_code == 1
    assert "bad.xlsx: row 3, column username: Không có tài khoản “ghost”." in result.output
    assert "bad.xlsx: row 4, column score: Điểm -3 âm." in result.output
    assert "2 error(s); nothing imported" in result.output
    assert stored() == {"an": 150.0, "binh": 99.5}

    result = runner.invoke(args=["results", "import-scores", "--contest", str(contest.id), "--division", "Z", str(good)])
    assert result.exit_code == 2 and "divisions: B, D2" in result.output
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "results.import_scores")) == 1
