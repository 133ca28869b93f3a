"""Login throttling per network address, kept in Redis, that a school LAN behind one NAT address does
not trip.

A whole school often reaches the site from ONE public address, and a contest starts with hundreds of
logins in the same minute, so the address alone must not be limited by how many log in. Only FAILED
logins count, in two counters that expire LOGIN_IP_WINDOW_SECONDS after their first failure:

- per (address, username): LOGIN_IP_USER_MAX_FAILS (10) failures refuse that username from that address
  until the window ends (guessing one account; the per-account lock in services.users still applies);
- per address, all usernames together: LOGIN_IP_MAX_FAILS (1000) failures refuse every login from that
  address until the window ends (trying a few passwords on many accounts). 1000 in 10 minutes leaves room
  for 500 students on one NAT each mistyping twice.

A successful login never counts and clears its own (address, username) counter. A refused attempt is
not checked (no password hashing) and does not count. When Redis is down, nothing is refused (the
per-account lock in the database still works): the contest is not stopped by the throttle.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from redis.exceptions import RedisError

from .submissions import redis_conn


def _prefix() -> str:
    # sites (or test databases) sharing one Redis keep separate counters
    site = hashlib.sha1(current_app.config["SQLALCHEMY_DATABASE_URI"].encode()).hexdigest()[:10]
    return f"login-fail:{site}"


def _keys(ip: str, username: str) -> tuple[str, str]:
    name = username.strip().lower()
    return f"{_prefix()}:ip:{ip}", f"{_prefix()}:ip-user:{ip}:{name}"


def blocked_for(ip: str | None, username: str) -> int:
    """Seconds until a login of `username` from `ip` is accepted again; 0 when it may be tried now."""
    if not ip:
        return 0
    cfg = current_app.config
    ip_key, user_key = _keys(ip, username)
    try:
        pipe = redis_conn().pipeline()
        pipe.get(ip_key).ttl(ip_key).get(user_key).ttl(user_key)
        ip_count, ip_ttl, user_count, user_ttl = pipe.execute()
    except RedisError as exc:
        current_app.logger.warning("login throttle unavailable (%s): not applied", exc)
        return 0
    wait = 0
    if int(ip_count or 0) >= cfg["LOGIN_IP_MAX_FAILS"]:
        wait = max(wait, ip_ttl, 1)
    if int(user_count or 0) >= cfg["LOGIN_IP_USER_MAX_FAILS"]:
        wait = max(wait, user_ttl, 1)
    return wait


def record_failure(ip: str | None, username: str) -> None:
    """Count one failed login from `ip` (its window starts with its first failure)."""
    if not ip:
        return
    window = current_app.config["LOGIN_IP_WINDOW_SECONDS"]
    try:
        pipe = redis_conn().pipeline()
        for key in _keys(ip, username):
            pipe.set(key, 0, ex=window, nx=True).incr(key)  # INCR keeps the expiry set by the first failure
        pipe.execute()
    except RedisError as exc:
        current_app.logger.warning("login throttle unavailable (%s): failure not counted", exc)


def record_success(ip: str | None, username: str) -> None:
    """A successful login clears its (address, username) counter; the address counter is left as is."""
    if not ip:
        return
    try:
        redis_conn().delete(_keys(ip, username)[1])
    except RedisError:
        pass
