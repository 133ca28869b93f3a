"""The navigation registry: each feature adds its menu entries here (endpoint, label, roles)."""
from flask import current_app
from flask_babel import lazy_gettext as _l

NAV: list[tuple[str, object, tuple[str, ...]]] = [
    ("auth.import_students", _l("Nhập danh sách thí sinh"), ("organiser",)),
]


def add(endpoint: str, label, roles: tuple[str, ...] = ()) -> None:
    """Register a menu entry; roles empty = every logged-in user."""
    if all(e != endpoint for e, _, _ in NAV):
        NAV.append((endpoint, label, roles))


def nav_items(user):
    return [
        (e, label, roles)
        for e, label, roles in NAV
        if e in current_app.view_functions and (not roles or user.has_role(*roles))
    ]
