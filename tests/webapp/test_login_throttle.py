"""Login throttling per address (services.login_throttle): failed logins only, per (address, username)
and a generous ceiling per address, in Redis with an expiry; a school behind one NAT is not locked out."""
from __future__ import annotations

from webapp.services import login_throttle

SCHOOL = {"REMOTE_ADDR": "203.0.113.7"}  # one NAT address for a whole school
HOME = {"REMOTE_ADDR": "198.51.100.20"}


def login(client, username, password, env):
    return client.post_form("/auth/login", {"username": username, "password": password}, environ_base=env)


def test_a_school_behind_one_address_logs_in_with_typos(app, client, make_user, redis_conn):
    app.config.update(LOGIN_IP_MAX_FAILS=40, LOGIN_IP_USER_MAX_FAILS=3)
    for i in range(30):
        make_user(f"hs{i}", password="dung12345")
    for i in range(30):  # everyone mistypes once, then gets it right: 30 failures < 40
        assert login(client, f"hs{i}", "sai", SCHOOL).status_code == 401
        assert login(client, f"hs{i}", "dung12345", SCHOOL).status_code == 302
        client.post_form("/auth/logout", {}, form_url="/")
    # successful logins never count: 60 more from the same address are all accepted
    for _ in range(2):
        for i in range(30):
            assert login(client, f"hs{i}", "dung12345", SCHOOL).status_code == 302
            client.post_form("/auth/logout", {}, form_url="/")


def test_guessing_one_account_is_stopped_for_that_address_only(app, client, make_user, redis_conn):
    app.config.update(LOGIN_IP_USER_MAX_FAILS=3, LOGIN_MAX_FAILS=100, LOGIN_IP_WINDOW_SECONDS=600)
    make_user("hs1", password="dung12345")
    make_user("hs2", password="dung12345")
    for _ in range(3):
        assert login(client, "hs1", "sai", SCHOOL).status_code == 401
    resp = login(client, "hs1", "dung12345", SCHOOL)  # the 4th try is refused unchecked, even if right
    assert resp.status_code == 429
    assert "Máy này đã đăng nhập sai quá nhiều lần" in resp.get_data(as_text=True)
    # the same account from elsewhere, and another account from the same school, still log in
    assert login(client, "hs1", "dung12345", HOME).status_code == 302
    client.post_form("/auth/logout", {}, form_url="/")
    assert login(client, "hs2", "dung12345", SCHOOL).status_code == 302
    # the counter expires with its window, started by the first failure
    ip_key, user_key = login_throttle._keys(SCHOOL["REMOTE_ADDR"], "hs1")
    assert 0 < redis_conn.ttl(user_key) <= 600 and 0 < redis_conn.ttl(ip_key) <= 600
    assert int(redis_conn.get(user_key)) == 3 and int(redis_conn.get(ip_key)) == 3  # the refused try did not count
    redis_conn.delete(user_key)  # as if the 10 minutes had passed
    assert login(client, "hs1", "dung12345", SCHOOL).status_code == 302


def test_spraying_many_accounts_hits_the_address_ceiling(app, client, make_user, redis_conn):
    app.config.update(LOGIN_IP_MAX_FAILS=5, LOGIN_IP_USER_MAX_FAILS=3)
    make_user("hs1", password="dung12345")
    for i in range(5):
        assert login(client, f"ai{i}", "123456", HOME).status_code == 401  # unknown names count too
    assert login(client, "hs1", "dung12345", HOME).status_code == 429
    assert login(client, "hs1", "dung12345", SCHOOL).status_code == 302


def test_a_success_clears_its_own_counter(app, client, make_user, redis_conn):
    app.config.update(LOGIN_IP_USER_MAX_FAILS=3)
    make_user("hs1", password="dung12345")
    for _ in range(2):
        login(client, "hs1", "sai", SCHOOL)
    assert login(client, "hs1", "dung12345", SCHOOL).status_code == 302
    client.post_form("/auth/logout", {}, form_url="/")
    for _ in range(2):  # 2 + 2 failures, but the success in between reset the (address, name) count
        assert login(client, "hs1", "sai", SCHOOL).status_code == 401
    assert login(client, "hs1", "dung12345", SCHOOL).status_code == 302


def test_the_api_token_shares_the_throttle(app, client, make_user, redis_conn):
    app.config.update(LOGIN_IP_USER_MAX_FAILS=2, LOGIN_MAX_FAILS=100)
    make_user("hs1", password="dung12345")
    for _ in range(2):
        assert client.post("/api/v1/token", json={"username": "hs1", "password": "x"}, environ_base=HOME).status_code == 401
    resp = client.post("/api/v1/token", json={"username": "hs1", "password": "dung12345"}, environ_base=HOME)
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= 600
    assert "from this address" in resp.get_json()["error"]


def test_without_redis_logins_are_not_throttled(app, client, make_user):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", LOGIN_IP_USER_MAX_FAILS=1)
    make_user("hs1", password="dung12345")
    assert login(client, "hs1", "sai", SCHOOL).status_code == 401
    assert login(client, "hs1", "dung12345", SCHOOL).status_code == 302
