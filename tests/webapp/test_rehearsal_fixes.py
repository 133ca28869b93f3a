"""Defects found by rehearsing a city round end to end (bench/rehearsal.py), each with its regression."""
import re
from datetime import timedelta

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Appeal, AuditLog, DivisionResult, utcnow
from webapp.services.qualifiers import select_qualifiers
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


def test_organiser_menu_has_no_two_entries_with_the_same_label(world, client):
    """The entries hub and the judging overview were both called “Sản phẩm sáng tạo” in the menu."""
    client.login("btc")
    html = client.get("/creative/").get_data(as_text=True)
    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    labels = [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<a [^>]*>([^<]+)</a>", nav)]
    assert "/creative/org" in nav and "/creative/\"" in nav
    assert len(labels) == len(set(labels)), labels


def _cand(entrant, division, score, rank, members, award=None):
    first = members[0]
    return {"entrant": entrant, "division": division, "score": score, "rank": rank, "award": award,
            "school": first["school"], "unit": first["unit"], "members": members}


def _p(school, unit):
    return {"school": school, "unit": unit}


def test_per_unit_cap_counts_every_team_member_in_their_own_unit():
    """A team of two districts used to count only toward its first member's district."""
    rows = [_cand("entry:1", "D2", 90, 1, [_p("THCS A", "Quận 1"), _p("THCS B", "Quận 2")]),
            _cand("entry:2", "D2", 80, 2, [_p("THCS B", "Quận 2")]),
            _cand("entry:3", "D2", 70, 3, [_p("THCS A", "Quận 1")]),
            _cand("entry:4", "D2", 60, 4, [_p("THCS C", "Quận 3")])]
    out = select_qualifiers(rows, {"divisions": {"D2": {"top": 10}}, "per_unit_cap": 1, "unit_by": "unit"})
    assert [r["entrant"] for r in out["qualified"]] == ["entry:1", "entry:4"]
    reasons = {r["entrant"]: r["reason"] for r in out["rows"]}
    assert reasons["entry:2"] == "1 already selected from Quận 2" and reasons["entry:3"] == "1 already selected from Quận 1"


def test_qualifier_total_counts_people_not_entries():
    rows = [_cand("entry:1", "D2", 90, 1, [_p("A", "Q1"), _p("B", "Q2")]),
            _cand("user:7", "B", 80, 1, [_p("C", "Q3")]),
            _cand("entry:2", "D2", 70, 2, [_p("D", "Q4")])]
    out = select_qualifiers(rows, {"divisions": {"B": {"top": 5}, "D2": {"top": 5}}, "total": 3})
    # order of filling: rank 1 of B (rule order B, D2), rank 1 of D2 (2 people), then D2 rank 2: over 3
    assert [r["entrant"] for r in out["qualified"]] == ["user:7", "entry:1"]
    assert {r["entrant"]: r["qualified"] for r in out["rows"]}["entry:2"] is False


def test_results_pages_show_the_school_of_every_team_member(app, client, make_contest, make_user):
    """A team from two schools was shown with the first member's school only (preview, public page)."""
    contest = make_contest(divisions=(("D2", "lower_secondary", "creative"),))
    d2 = contest.divisions[0]
    members = [{"username": "an", "full_name": "Nguyễn An", "date_of_birth": "", "school": "THCS Giảng Võ",
                "grade": 8, "unit": "Ba Đình"},
               {"username": "binh", "full_name": "Lê Bình", "date_of_birth": "", "school": "THCS Cầu Giấy",
                "grade": 7, "unit": "Cầu Giấy"}]
    row = {"entrant": "entry:1", "username": "an, binh", "full_name": "Nguyễn An, Lê Bình", "date_of_birth": "",
           "school": "THCS Giảng Võ", "grade": 8, "unit": "Ba Đình", "members": members, "title": "Bản đồ số",
           "division": "D2", "score": 90.0, "rank": 1, "award": "first", "reason": "", "qualified": None}
    db.session.add(DivisionResult(division_id=d2.id, state="published", snapshot=[row], published_at=utcnow()))
    db.session.commit()
    page = client.get(f"/results/contest/{contest.id}").get_data(as_text=True)
    assert "THCS Giảng Võ, THCS Cầu Giấy" in page
    make_user("btc2", role="organiser")
    client.login("btc2")
    page = client.get(f"/results/divisions/{d2.id}/preview").get_data(as_text=True)
    assert "THCS Giảng Võ, THCS Cầu Giấy · Ba Đình, Cầu Giấy" in page


def test_entry_is_locked_for_its_team_once_the_results_are_locked(app, client, make_contest, make_user, admit):
    """Before: a team could still edit (and replace files of) an entry after the results were
    locked and published, as long as the contest had not ended."""
    contest = make_contest(divisions=(("D2", "lower_secondary", "creative"),))
    d2 = contest.divisions[0]
    an = make_user("an", full_name="Nguyễn An")
    entry = svc.create_entry(an, d2, {"title": "Bản đồ số", "declared_not_awarded": True})
    assert not svc.is_locked(d2) and svc.can_edit(an, entry)
    db.session.add(DivisionResult(division_id=d2.id, state="locked", snapshot=[]))
    db.session.commit()
    assert svc.is_locked(d2) and not svc.can_edit(an, entry)
    client.login("an")
    page = client.get(f"/creative/entries/{entry.id}").get_data(as_text=True)
    assert "Đã khoá: kết quả bảng đã chốt" in page and f"/creative/entries/{entry.id}/edit" not in page
    r = client.post_form(f"/creative/entries/{entry.id}/edit", {"title": "Đổi tên", "declared_not_awarded": "y"},
                         form_url=f"/creative/entries/{entry.id}")
    assert r.status_code == 302  # back to the entry, with the message
    assert "Kết quả bảng D2 đã khoá" in client.get(f"/creative/entries/{entry.id}").get_data(as_text=True)
    token = client.post("/api/v1/token", json={"username": "an", "password": "secret123"}).get_json()["token"]
    r = client.open(f"/api/v1/creative/entries/{entry.id}", method="PATCH", json={"title": "Đổi tên"},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    db.session.refresh(entry)
    assert entry.title == "Bản đồ số"


def test_appeal_in_a_programming_division_judged_elsewhere(app, client, make_contest, make_user, admit):
    """Division B had only imported scores (no problems here): the appeal form offered an empty
    problem list and every appeal was refused with “choose a problem”."""
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"),))
    b = contest.divisions[0]
    an = make_user("an", full_name="Nguyễn An")
    admit(an, b)
    row = {"entrant": f"user:{an.id}", "username": "an", "full_name": "Nguyễn An", "date_of_birth": "",
           "school": "", "grade": 7, "unit": "", "members": [], "title": "", "division": "B", "score": 55.0,
           "rank": 1, "award": None, "reason": "", "qualified": None}
    db.session.add(DivisionResult(division_id=b.id, state="published", snapshot=[row], published_at=utcnow()))
    db.session.commit()
    client.login("an")
    page = client.get(f"/results/contest/{contest.id}").get_data(as_text=True)
    assert 'name="problem_id"' not in page and "(UTC)" not in page
    r = client.post_form(f"/results/divisions/{b.id}/appeals/new", {"reason": "Em xin chấm lại"},
                         form_url=f"/results/contest/{contest.id}")
    assert r.status_code == 302
    appeal = db.session.scalars(select(Appeal)).one()
    assert (appeal.user_id, appeal.problem_id, appeal.status) == (an.id, None, "open")


def test_tally_follows_the_creative_ranking_ties_and_round_two(app, make_contest, monkeypatch):
    """The creative ranking ties scores equal to 2 decimals and puts round-2 entries first; the tally
    ranked raw scores, so two entries shown tied (74.33) got different ranks and awards, and a
    round-2 entry could fall below a round-1 one."""
    from webapp.services import results as results_svc

    contest = make_contest(divisions=(("D2", "lower_secondary", "creative"),))
    d2 = contest.divisions[0]

    def row(eid, score, rank, tier):
        return {"entry_id": eid, "title": f"E{eid}", "members": [], "member_ids": [], "score": score,
                "round1_score": score, "round2_score": None, "rank": rank, "judges": 3, "flagged": False,
                "tier": tier}

    ranking = [row(1, 61.0, 1, 0),  # in round 2: above the others whatever the score
               row(2, 74.3349, 2, 1), row(3, 74.3333, 2, 1), row(4, 50.0, 4, 1), row(5, None, None, 1)]
    monkeypatch.setattr("webapp.services.creative_ranking.division_ranking", lambda division_id: ranking)
    results_svc.save_prize_rule(d2, {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 1},
                                                {"name": "third", "count": 2}], "ties": "at_most"}, None)
    rows = results_svc.tally_division(d2)
    got = {r["entrant"]: (r["rank"], r["award"]) for r in rows}
    # first: E1 (round 2, quota 1); second: cumulative quota 2, the tied pair (E2, E3: 74.33 both) would
    # make 3 -> both drop to third (cumulative quota 4: 3 fit); E4 makes 4 <= 4: third; E5 unscored
    assert got == {"entry:1": (1, "first"), "entry:2": (2, "third"), "entry:3": (2, "third"), "entry:4": (4, "third"),
                   "entry:5": (None, None)}


def test_results_pages_link_exports_and_the_division_sources(app, client, make_contest, make_user):
    """The results tabs had no way to the exports page, and a preview none to the ranking it comes from."""
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    b, d2 = contest.divisions
    make_user("btc", role="organiser")
    client.login("btc")
    page = client.get(f"/results/divisions/{d2.id}/preview").get_data(as_text=True)
    assert f"/results/contest/{contest.id}/exports" in page and f"/creative/org/{d2.id}/ranking" in page
    assert f"/results/contest/{contest.id}/division/{d2.id}/import-scores" in page
    page = client.get(f"/results/divisions/{b.id}/preview").get_data(as_text=True)
    assert f"/contests/{contest.id}/scoreboard/{b.id}" in page
    assert f"/results/contest/{contest.id}/exports" in client.get(f"/results/contest/{contest.id}/manage").get_data(as_text=True)


def test_judging_pages_warn_while_teams_can_still_change_their_entries(world, client, make_user):
    """Judges scored entries whose teams could still replace the files (deadline = contest end by
    default) and nothing told the organiser, nor the judge on the score sheet."""
    from webapp.models import JudgeAssignment

    student, judge = make_user("an"), make_user("gk", role="judge")
    entry = svc.create_entry(student, world.d2, {"title": "Máy tưới cây", "declared_not_awarded": True})
    db.session.add(JudgeAssignment(entry_id=entry.id, judge_id=judge.id, round=1, manual=True))
    db.session.commit()
    sheet_url = f"/creative/judge/entries/{entry.id}/1"
    client.login("btc")
    page = client.get(f"/creative/org/{world.d2.id}/panel/1").get_data(as_text=True)
    assert 'id="entries-open"' in page and f"/creative/divisions/{world.d2.id}/settings" in page
    client.login("gk")
    assert 'id="entry-still-open"' in client.get(sheet_url).get_data(as_text=True)
    s = svc.settings_for(world.d2)
    s.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert 'id="entry-still-open"' not in client.get(sheet_url).get_data(as_text=True)
    client.login("btc")
    assert 'id="entries-open"' not in client.get(f"/creative/org/{world.d2.id}/panel/1").get_data(as_text=True)


def test_one_open_appeal_per_team_entry(app, make_contest, make_user):
    """Each member of a team could file an appeal on the same entry: two open appeals, two re-scores."""
    from webapp.services import results as results_svc

    contest = make_contest(divisions=(("D2", "lower_secondary", "creative"),))
    d2 = contest.divisions[0]
    an, binh = make_user("an", full_name="Nguyễn An"), make_user("binh", full_name="Lê Bình")
    entry = svc.create_entry(an, d2, {"title": "Bản đồ số", "declared_not_awarded": True}, ["binh"])
    members = [{"username": u.username, "full_name": u.full_name, "date_of_birth": "", "school": "", "grade": 7,
                "unit": ""} for u in (an, binh)]
    row = {"entrant": f"entry:{entry.id}", "username": "an, binh", "full_name": "Nguyễn An, Lê Bình",
           "date_of_birth": "", "school": "", "grade": 7, "unit": "", "members": members, "title": "Bản đồ số",
           "division": "D2", "score": 60.0, "rank": 1, "award": None, "reason": "", "qualified": None}
    db.session.add(DivisionResult(division_id=d2.id, state="published", snapshot=[row], published_at=utcnow()))
    db.session.commit()
    first = results_svc.file_appeal(an, d2, "Xin chấm lại")
    assert first.entry_id == entry.id
    with pytest.raises(results_svc.ResultsError):
        results_svc.file_appeal(binh, d2, "Em cũng xin chấm lại")
    assert db.session.scalar(select(db.func.count(Appeal.id))) == 1


def test_judging_pages_mark_incomplete_entries(world, client, make_user):
    """Judges were assigned entries without a product or a description and the organiser's judging
    pages did not say so (completeness lived on the entries side only)."""
    an = make_user("an", full_name="Nguyễn An")
    svc.create_entry(an, world.d2, {"title": "Chưa nộp tệp", "summary": "Tóm tắt", "declared_not_awarded": True})
    client.login("btc")
    for path in (f"/creative/org/{world.d2.id}/panel/1", f"/creative/org/{world.d2.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "Thiếu: bản thuyết minh (PDF), sản phẩm" in page, path
