"""Accounts: registration by school level, login throttling, roles, CSRF."""
from __future__ import annotations

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import School, User

GOOD = {
    "full_name": "Lê Hoàng Nam",
    "date_of_birth": "2013-03-15",
    "school_level": "lower_secondary",
    "grade": "7",
    "school_id": "",
    "new_school": "Trường THCS Nguyễn Du",
    "unit": "Quận 1",
    "email": "",
    "phone": "",
    "username": "namlh",
    "password": "matkhau123",
    "confirm": "matkhau123",
}


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id)))


def test_home_page_is_vietnamese(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Hội thi Tin học trẻ" in html


def test_register_thcs_grade_7(client):
    resp = client.post_form("/auth/register", GOOD)
    assert resp.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "namlh"))
    assert user.school_level == "lower_secondary" and user.grade == 7
    assert user.school.name == "Trường THCS Nguyễn Du" and user.role == "student"
    assert user.password_hash != "matkhau123" and user.check_password("matkhau123")
    # logged in straight away
    assert "Lê Hoàng Nam" in client.get("/").get_data(as_text=True)


def test_register_thcs_grade_11_is_refused_and_nothing_stored(client):
    resp = client.post_form("/auth/register", {**GOOD, "grade": "11"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Lớp 11 không thuộc cấp THCS" in html and "lớp 6–9" in html
    assert user_count() == 0
    assert db.session.scalar(select(func.count(School.id))) == 0


def test_register_missing_fields_named(client):
    resp = client.post_form("/auth/register", {**GOOD, "full_name": "", "grade": "", "new_school": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Thiếu họ và tên." in html and "Thiếu lớp." in html and "Thiếu tên trường." in html
    assert user_count() == 0


def test_register_duplicate_username(client, make_user):
    make_user("namlh")
    resp = client.post_form("/auth/register", GOOD)
    assert resp.status_code == 422
    assert "Tên đăng nhập “namlh” đã có người dùng" in resp.get_data(as_text=True)
    assert user_count() == 1


def test_register_picks_existing_school(client, make_user):
    make_user()  # creates "Trường THCS Test"
    school = db.session.scalar(select(School))
    resp = client.post_form("/auth/register", {**GOOD, "new_school": "", "unit": "", "school_id": str(school.id)})
    assert resp.status_code == 302
    assert db.session.scalar(select(User).where(User.username == "namlh")).school_id == school.id


def test_register_bad_username_and_email(client):
    resp = client.post_form("/auth/register", {**GOOD, "username": "Nam Lê", "email": "not-an-email"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "chỉ được gồm chữ thường không dấu" in html and "Email “not-an-email” không hợp lệ" in html
    assert user_count() == 0


def test_csrf_token_required(client):
    resp = client.client.post("/auth/register", data=GOOD)
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)
    assert user_count() == 0
    resp = client.client.post("/auth/login", data={"username": "x", "password": "y"})
    assert resp.status_code == 400


def test_login_and_throttle(client, make_user, app):
    make_user("hs1", password="dung12345")
    assert client.login("hs1", "sai").status_code == 401
    for _ in range(app.config["LOGIN_MAX_FAILS"] - 1):
        client.login("hs1", "sai")
    # locked now: even the right password is refused
    resp = client.login("hs1", "dung12345")
    assert resp.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in resp.get_data(as_text=True)


def test_login_success_resets_counter(client, make_user):
    user = make_user("hs2", password="dung12345")
    client.login("hs2", "sai")
    assert client.login("hs2", "dung12345").status_code == 302
    db.session.refresh(user)
    assert user.failed_logins == 0


def test_roles_guard_import_page(client, make_user):
    assert client.get("/auth/import").status_code == 302  # anonymous -> login
    make_user("hs3")
    client.login("hs3")
    assert client.get("/auth/import").status_code == 403
    client.post_form("/auth/logout", {}, form_url="/")
    make_user("gk", role="judge")
    client.login("gk")
    assert client.get("/auth/import").status_code == 403
    client.post_form("/auth/logout", {}, form_url="/")
    make_user("btc", role="organiser")
    client.login("btc")
    assert client.get("/auth/import").status_code == 200


def test_language_switch_to_english(client):
    client.get("/lang/en")
    html = client.get("/auth/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Log in" in html
    client.get("/lang/vi")
    assert "Đăng nhập" in client.get("/auth/login").get_data(as_text=True)
