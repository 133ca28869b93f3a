"""The English catalogue is complete and consistent, and the main pages really render in English.

The catalogue test reads webapp/translations/en/LC_MESSAGES/messages.po as it is committed (no
compilation); the page tests use the .mo compiled from it (see helper-common / Makefile).
"""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, ngettext

PO = Path(__file__).resolve().parents[2] / "webapp" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
# A printf placeholder as Python formats it: %(name)s, %(t).1f, %s and the escaped %%.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrx%]")


def _catalog():
    with PO.open("rb") as f:
        return read_po(f)


def _messages():
    return [m for m in _catalog() if m.id]


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def test_catalog_declares_english_plural_forms():
    catalog = _catalog()
    assert catalog.num_plurals == 2
    assert catalog.plural_expr.replace(" ", "") in ("(n!=1)", "n!=1")


def test_every_message_has_an_english_translation():
    missing = [m.id for m in _messages() if not all(s and s.strip() for s in _as_tuple(m.string))]
    assert missing == [], f"{len(missing)} untranslated messages, e.g. {missing[:5]}"


def test_no_fuzzy_translations():
    fuzzy = [m.id for m in _messages() if m.fuzzy]
    assert fuzzy == []


def test_placeholders_identical_in_msgid_and_msgstr():
    wrong = []
    for m in _messages():
        expected = sorted(PLACEHOLDER.findall(_as_tuple(m.id)[-1]))
        for s in _as_tuple(m.string):
            if sorted(PLACEHOLDER.findall(s or "")) != expected:
                wrong.append((m.id, s))
    assert wrong == []


def test_english_plural_forms_are_chosen_by_count(app):
    msg = "Đang chờ hoặc đang chấm: %(n)s bài nộp."
    with app.test_request_context("/"), force_locale("en"):
        assert ngettext(msg, msg, 1, n=1) == "Queued or being judged: 1 submission."
        assert ngettext(msg, msg, 3, n=3) == "Queued or being judged: 3 submissions."
    with app.test_request_context("/"), force_locale("vi"):
        assert ngettext(msg, msg, 3, n=3) == "Đang chờ hoặc đang chấm: 3 bài nộp."


def _english(client, url):
    client.get("/lang/en")
    resp = client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("url, english, vietnamese", [
    ("/", "Log in", "Đăng nhập"),
    ("/auth/login", "Password", "Mật khẩu"),
])
def test_public_pages_in_english(client, url, english, vietnamese):
    html = _english(client, url)
    assert '<html lang="en">' in html
    assert english in html
    assert vietnamese not in html


def test_contest_page_in_english(client, make_user, make_contest, admit):
    contest = make_contest(name="Contest 2026")
    student = make_user("hs1")
    admit(student, contest.divisions[0])
    client.login("hs1")
    html = _english(client, f"/contests/{contest.id}")
    assert "Scoreboard" in html
    assert "Bảng xếp hạng" not in html
    assert "Bài nộp" not in html


def test_results_management_page_in_english(client, make_user, make_contest):
    contest = make_contest(name="Contest 2026")
    make_user("btc", role="organiser")
    client.login("btc")
    html = _english(client, f"/results/contest/{contest.id}/manage")
    assert "<h1>Results — Contest 2026</h1>" in html
    assert "Prize rule" in html
    assert "Quy tắc xét giải" not in html
    assert "Kết quả" not in html
