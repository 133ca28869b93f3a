"""Bulk import of students: all or nothing, every error named by row and column. The file is checked
in the request; a clean one is stored by a background job on TASKS_QUEUE (run here by rq's
SimpleWorker in burst mode, in the test's process, against the real Redis)."""
from __future__ import annotations

import base64
import csv
import io
import uuid
from datetime import date

import openpyxl
import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import AuditLog, Participation, User

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
def organiser(app, client, make_user, redis_conn):
    app.config["TASKS_QUEUE"] = f"tasks-test-{uuid.uuid4().hex[:8]}"  # no other run's worker takes our jobs
    make_user("btc", role="organiser")
    client.login("btc")
    return client


def upload(client, filename: str, payload: bytes):
    return client.post_form("/auth/import", {"file": (io.BytesIO(payload), filename)}, content_type="multipart/form-data")


def run_tasks(app) -> SimpleWorker:
    """Run every queued background task in this process, then return."""
    from webapp.services.student_import import tasks_queue

    conn = tasks_queue().connection
    worker = SimpleWorker([Queue(app.config["TASKS_QUEUE"], connection=conn)], connection=conn)
    worker.work(burst=True, with_scheduler=False)
    db.session.expire_all()
    return worker


def import_file(app, client, filename: str, payload: bytes):
    """Upload, run the job, follow the progress page to the credentials list; returns that response."""
    resp = upload(client, filename, payload)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    run_tasks(app)
    progress = client.get(resp.headers["Location"])
    assert progress.status_code == 302
    return client.get(progress.headers["Location"])


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


def test_200_rows_good_file_stores_all_and_lists_passwords(app, organiser):
    resp = import_file(app, organiser, "ds.xlsx", xlsx(rows(200)))
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


def test_csv_utf8_with_bom_and_semicolons(app, organiser):
    text = "Họ và tên;Ngày sinh;Cấp học;Lớp;Trường\nĐặng Thuỳ Dương;05/09/2012;THCS;8;THCS Lê Lợi\n"
    resp = import_file(app, organiser, "ds.csv", ("\ufeff" + text).encode("utf-8"))
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


def test_generated_usernames_unique(app, organiser):
    text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường\n" + "Trần An,01/01/2012,THCS,8,X\n" * 3
    assert import_file(app, organiser, "ds.csv", text.encode()).status_code == 200
    names = sorted(db.session.scalars(select(User.username).where(User.role == "student")))
    assert names == ["an.t", "an.t2", "an.t3"]


# -- the background job ---------------------------------------------------------------------------------
def test_progress_is_reported_while_the_job_hashes(app, organiser, redis_conn):
    """With the production hash (≈16 ms each), 300 rows take seconds: the status endpoint shows the
    queue, then the hashing advance, then the end; the page carries a progress bar."""
    import threading

    app.config["PASSWORD_METHOD"] = "scrypt:4096:8:1"
    resp = upload(organiser, "ds.xlsx", xlsx(rows(300)))
    assert resp.status_code == 303
    page = organiser.get(resp.headers["Location"])
    assert page.status_code == 200 and "<progress" in page.get_data(as_text=True)
    status_url = resp.headers["Location"] + "/status"
    # no worker listens on the tasks queue yet: the page says so
    assert organiser.get(status_url).get_json() == {"state": "queued", "done": 0, "total": 300, "final": False,
                                                    "no_worker": True}
    seen: list[dict] = []

    def poll():
        while not (seen and seen[-1]["final"]):
            seen.append(organiser.get(status_url).get_json())

    poller = threading.Thread(target=poll)
    poller.start()
    run_tasks(app)
    poller.join(timeout=30)
    assert seen[-1] == {"state": "done", "done": 300, "total": 300, "final": True, "no_worker": False}
    hashing = [s["done"] for s in seen if s["state"] == "hashing"]
    assert any(0 < d < 300 for d in hashing), seen
    assert hashing == sorted(hashing)
    assert students() == 300


def test_a_username_taken_while_the_job_waits_stores_nothing(app, organiser, make_user, redis_conn):
    text = ("Họ và tên,Ngày sinh,Cấp học,Lớp,Trường,Tên đăng nhập\n"
            "Đặng Dương,05/09/2012,THCS,8,Lê Lợi,duong.dt\n"
            "Lê Minh,06/09/2012,THCS,8,Lê Lợi,minh.l\n"
            "Vũ Hà,07/09/2012,THCS,8,Trường mới,\n")
    resp = upload(organiser, "ds.csv", text.encode())
    assert resp.status_code == 303  # valid when checked
    make_user("minh.l")  # someone registers that name before the job writes
    run_tasks(app)
    page = organiser.get(resp.headers["Location"]).get_data(as_text=True)
    assert "dòng 3 (“minh.l”)" in page and "Chưa lưu thí sinh nào" in page
    assert organiser.get(resp.headers["Location"] + "/status").get_json()["state"] == "failed"
    assert redis_conn.keys("student-import:*:input") == []  # the rows are not kept
    assert sorted(db.session.scalars(select(User.username).where(User.role == "student"))) == ["minh.l"]
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "students.import")) == 0
    from webapp.models import School

    assert db.session.scalar(select(School).where(School.name == "Trường mới")) is None  # rolled back too
    assert organiser.get(resp.headers["Location"] + "/result").status_code == 302  # no list: back to the page


def test_credentials_shown_once_to_their_organiser_only(app, client, organiser, make_user, redis_conn):
    text = "Họ và tên,Ngày sinh,Cấp học,Lớp,Trường\nĐặng Thuỳ Dương,05/09/2012,THCS,8,THCS Lê Lợi\nLê An,01/02/2012,THCS,7,THCS Lê Lợi\n"
    resp = upload(organiser, "ds.csv", text.encode())
    progress_url = resp.headers["Location"]
    run_tasks(app)

    # Another organiser sees nothing of it. Their requests run in a thread of their own: requests made
    # here would share the test's app context (and flask.g, where Flask-Login caches the user).
    import threading

    from tests.conftest import BrowserClient

    make_user("btc2", role="organiser")
    codes = []

    def other_organiser():
        other = BrowserClient(app.test_client())
        assert other.login("btc2").status_code == 302
        codes.extend(other.get(progress_url + suffix).status_code for suffix in ("", "/status", "/result"))

    thread = threading.Thread(target=other_organiser)
    thread.start()
    thread.join(timeout=30)
    assert codes == [404, 404, 404]

    keys = redis_conn.keys("student-import:*:credentials")
    assert len(keys) == 1 and 0 < redis_conn.ttl(keys[0]) <= app.config["IMPORT_CREDENTIALS_TTL"]
    result = organiser.get(progress_url + "/result")
    assert result.status_code == 200 and result.headers["Cache-Control"] == "no-store"
    html = result.get_data(as_text=True)
    b64 = html.split("data:text/csv;base64,", 1)[1].split('"', 1)[0]
    lines = list(csv.reader(io.StringIO(base64.b64decode(b64).decode("utf-8-sig"))))
    assert lines[0] == ["Họ và tên", "Lớp", "Trường", "Tên đăng nhập", "Mật khẩu"]
    assert [(r[0], r[1], r[2], r[3]) for r in lines[1:]] == [("Đặng Thuỳ Dương", "8", "THCS Lê Lợi", "duong.dt"),
                                                            ("Lê An", "7", "THCS Lê Lợi", "an.l")]
    for name, grade, school, username, password in lines[1:]:
        assert f"<code>{password}</code>" in html
        user = db.session.scalar(select(User).where(User.username == username))
        assert password not in user.password_hash and user.check_password(password)
        assert db.session.scalar(select(func.count(Participation.id)).where(Participation.user_id == user.id)) == 0
    assert redis_conn.keys("student-import:*:credentials") == []  # handed out: gone
    assert redis_conn.keys("student-import:*:input") == []
    assert organiser.get(progress_url + "/result").status_code == 410  # once
    log = db.session.scalar(select(AuditLog).where(AuditLog.action == "students.import"))
    assert (log.target, log.details, log.user_id) == ("ds.csv", {"count": 2}, db.session.scalar(select(User.id).where(User.username == "btc")))


def test_imported_students_join_the_demo_contest_by_level(app, organiser):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    assert import_file(app, organiser, "ds.xlsx", xlsx(rows(3))).status_code == 200
    got = {}
    for i in range(3):
        user = db.session.scalar(select(User).where(User.full_name == f"Nguyễn Thị Ánh {i}"))
        got[i] = [p.division.code for p in db.session.scalars(select(Participation).where(Participation.user_id == user.id))]
    assert got == {0: ["A"], 1: ["B"], 2: ["C1"]}  # Tiểu học, THCS, THPT


def test_queue_down_stores_nothing_and_says_so(app, organiser):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    resp = upload(organiser, "ds.xlsx", xlsx(rows(3)))
    assert resp.status_code == 503
    assert "Hàng đợi công việc nền tạm thời không hoạt động" in resp.get_data(as_text=True)
    assert students() == 0
