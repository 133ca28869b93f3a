"""Defects found by rehearsing a city round end to end (bench/rehearsal.py), each with its regression."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditLog
from webapp.services import creative_entries as svc
from webapp.services import creative_ops as ops

import pytest


@pytest.fixture
def world(app, make_user, make_contest):
    """A contest with creative D2 (THCS), an organiser."""
    contest = make_contest(divisions=(("D2", "lower_secondary", "creative"),))
    w = type("World", (), {})()
    w.contest, w.d2 = contest, contest.divisions[0]
    w.btc = make_user("btc", role="organiser")
    return w


def test_one_place_for_judging_settings_the_entries_page_keeps_them(world, client):
    """The entries-side settings page edits team, upload and deadline only; it used to post every
    judging field too, silently resetting blind mode, aggregation and round 2 set on the judging page."""
    ops.save_judging_settings(world.d2, None, blind=True, aggregation="zscore", judges_per_entry=4,
                              two_rounds=True, round2_top_k=5, round2_weight=0.6)
    client.login("btc")
    url = f"/creative/divisions/{world.d2.id}/settings"
    page = client.get(url).get_data(as_text=True)
    assert 'name="aggregation"' not in page and 'name="blind"' not in page and 'name="judges_per_entry"' not in page
    assert f"/creative/org/{world.d2.id}/judging" in page  # the link to the one judging page
    assert "4 giám khảo mỗi bài" in page
    assert client.post_form(url, {"max_team_size": "3", "max_file_mb": "10", "max_entry_mb": "30"}).status_code == 302
    s = svc.settings_for(world.d2)
    db.session.refresh(s)
    assert (s.max_team_size, s.max_file_mb, s.max_entry_mb) == (3, 10, 30)
    assert (s.blind, s.aggregation, s.judges_per_entry, s.two_rounds, s.round2_top_k, s.round2_weight) == \
        (True, "zscore", 4, True, 5, 0.6)
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "creative.settings")
                             .order_by(AuditLog.id.desc())).first()
    assert log.details["after"]["blind"] is True and log.details["after"]["max_team_size"] == 3


def test_judging_tabs_link_entries_settings_and_results(world, client):
    client.login("btc")
    page = client.get(f"/creative/org/{world.d2.id}/judging").get_data(as_text=True)
    for href in (f"/creative/divisions/{world.d2.id}/entries", f"/creative/divisions/{world.d2.id}/settings",
                 f"/results/divisions/{world.d2.id}/preview"):
        assert href in page
