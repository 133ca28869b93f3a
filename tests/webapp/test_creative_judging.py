"""Creative judging against the real database: rubric, panel, conflicts, assignment, score sheets,
locking and unlocking with audit rows, rankings, permissions (pages and API), the CLI and the demo."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.webapp.creative_factories import make_entry, make_judge, make_student
from webapp.extensions import db
from webapp.models import AuditLog, CreativeSettings, Division, JudgeAssignment, ScoreSheet, User
from webapp.services import creative_ops as ops
from webapp.services import results as results_svc
from webapp.services.creative_ranking import division_ranking


@pytest.fixture
def world(app, make_contest, make_user):
    """A running contest with creative division D2; two entries: E1 (members of THCS A, Quận 1,
    mentor from THCS Mentor) and E2 (THCS B, Quận 2); judges: gk_a (school THCS A), gk_unit (unit
    Quận 2), gk_mentor (school THCS Mentor), gk1, gk2, gk3 (no ties); an organiser."""
    contest = make_contest(divisions=(("D2", "lower_secondary", "creative"),))
    d2 = contest.divisions[0]
    a1, a2 = make_student("hs_a1", "THCS A", unit="Quận 1"), make_student("hs_a2", "THCS A", unit="Quận 1")
    b1 = make_student("hs_b1", "THCS B", "Quận 2", unit="Quận 2")
    e1 = make_entry(d2, [a1, a2], "Máy tưới cây thông minh", mentor_name="Cô Lan", mentor_school="THCS Mentor")
    e2 = make_entry(d2, [b1], "Trò chơi học toán")
    judges = {
        "gk_a": make_judge("gk_a", "THCS A"), "gk_unit": make_judge("gk_unit", unit="quận 2"),
        "gk_mentor": make_judge("gk_mentor", "THCS Mentor"),
        "gk1": make_judge("gk1"), "gk2": make_judge("gk2"), "gk3": make_judge("gk3"),
    }
    organiser = make_user("btc", role="organiser")
    return {"contest": contest, "d2": d2, "e1": e1, "e2": e2, "students": [a1, a2, b1], "judges": judges,
            "organiser": organiser}


def assign(entry, judge, round_=1):
    db.session.add(JudgeAssignment(entry_id=entry.id, judge_id=judge.id, round=round_, manual=True))
    db.session.commit()


def points(division, values, round_=1):
    return {c.key: v for c, v in zip(ops.criteria(division, round_), values)}


def submit(entry, judge, values, round_=1):
    return ops.save_sheet(entry, judge, round_, points(entry.division, values, round_), "", submit=True)


def audits(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def token(client, username):
    r = client.post("/api/v1/token", json={"username": username, "password": "secret123"})
    assert r.status_code == 201
    return {"Authorization": f"Bearer {r.get_json()['token']}"}


# -- rubric --------------------------------------------------------------------------------------------
def test_default_rubric_and_edit_until_scoring_starts(world, client):
    d2, e1, gk1 = world["d2"], world["e1"], world["judges"]["gk1"]
    assert [(c.name, c.max_points) for c in ops.rubric(d2)] == [
        ("Ý tưởng và tính sáng tạo", 30), ("Tính ứng dụng thực tiễn", 25), ("Chất lượng kỹ thuật", 25), ("Trình bày", 20)]
    client.login("btc")
    # bad input: a duplicate name -> clear error, nothing changed
    r = client.post_form(f"/creative/org/{d2.id}/rubric/1", {"rows": "2", "name_0": "Ý tưởng", "max_0": "50",
                                                            "name_1": "ý tưởng", "max_1": "50"})
    assert r.status_code == 422 and "bị trùng" in r.get_data(as_text=True)
    assert len(ops.rubric(d2)) == 4
    r = client.post_form(f"/creative/org/{d2.id}/rubric/1", {"rows": "3", "name_0": "Ý tưởng", "max_0": "60", "weight_0": "1",
                                                            "name_1": "Kỹ thuật", "max_1": "40", "desc_1": "Chạy tốt",
                                                            "name_2": "", "max_2": ""}, follow_redirects=True)
    assert r.status_code == 200
    assert [(c.name, c.max_points, c.description) for c in ops.rubric(d2)] == [("Ý tưởng", 60, ""), ("Kỹ thuật", 40, "Chạy tốt")]
    [row] = audits("creative.rubric")
    assert len(row.details["before"]) == 4 and row.details["after"][1]["name"] == "Kỹ thuật"
    # scoring starts: the rubric is locked
    assign(e1, gk1)
    ops.save_sheet(e1, gk1, 1, points(d2, [30]), "", submit=False)
    r = client.post_form(f"/creative/org/{d2.id}/rubric/1", {"rows": "1", "name_0": "Khác", "max_0": "100"})
    assert r.status_code == 409 and "không sửa tiêu chí" in r.get_data(as_text=True)
    assert [c.name for c in ops.rubric(d2)] == ["Ý tưởng", "Kỹ thuật"]
    assert [c.name for c in ops.rubric(d2, 2)][0] == "Ý tưởng và tính sáng tạo"  # round 2 has its own rubric


def test_a_forged_row_count_on_the_rubric_form_does_not_hang_the_request(world, client):
    """`rows` comes from a hidden field: 10**25 used to keep the request looping for ever (found by the
    route matrix's junk POST). The rows actually posted are saved, the request ends."""
    import signal

    def too_slow(*_):
        raise TimeoutError("the rubric POST did not end within 20 s")

    d2 = world["d2"]
    client.login("btc")
    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(20)
    try:
        r = client.post_form(f"/creative/org/{d2.id}/rubric/1", {"rows": "9" * 25, "name_0": "Ý tưởng", "max_0": "100"})
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert r.status_code == 302
    assert [(c.name, c.max_points) for c in ops.rubric(d2)] == [("Ý tưởng", 100)]


# -- conflicts and assignment ---------------------------------------------------------------------------
def test_assignment_avoids_every_kind_of_conflict(world, client):
    d2, e1, e2, js = world["d2"], world["e1"], world["e2"], world["judges"]
    # gk1 declares a conflict with E2 on the judge page; the organiser records one for gk2 with E1
    client.login("gk1")
    r = client.post_form("/creative/judge/conflicts", {"kind": "entry", "entry_id": str(e2.id), "reason": "cháu tôi"},
                         follow_redirects=True)
    assert r.status_code == 200 and "Đã ghi nhận" in r.get_data(as_text=True)
    client.post_form("/auth/logout", {}, form_url="/creative/judge")
    client.login("btc")
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "conflict", "judge_id": str(js["gk2"].id), "kind": "entry",
                                                          "entry_id": str(e1.id), "reason": "đã hướng dẫn đội"}, follow_redirects=True)
    assert r.status_code == 200
    rows = ops.conflict_rows()
    assert [(c.judge_id, c.entry_id, c.source) for c in rows] == [(js["gk1"].id, e2.id, "declared"), (js["gk2"].id, e1.id, "organiser")]
    assert ops.conflict_of(js["gk_a"], e1) == "same_school"
    assert ops.conflict_of(js["gk_unit"], e2) == "same_unit"
    assert ops.conflict_of(js["gk_mentor"], e1) == "mentor_school"

    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "run", "per_entry": "3"})
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    got = {(a.entry_id, a.judge_id) for a in ops.assignments(d2)}
    # E1 may go to gk_unit, gk1, gk3 (not gk_a: school, gk_mentor: mentor's school, gk2: organiser)
    assert {j for e, j in got if e == e1.id} == {js["gk_unit"].id, js["gk1"].id, js["gk3"].id}
    # E2 may go to gk_a, gk_mentor, gk2, gk3 (not gk_unit: unit, gk1: declared): 3 of them
    e2_judges = {j for e, j in got if e == e2.id}
    assert len(e2_judges) == 3 and e2_judges <= {js["gk_a"].id, js["gk_mentor"].id, js["gk2"].id, js["gk3"].id}
    loads = [sum(1 for _, j in got if j == x.id) for x in js.values()]
    assert max(loads) - min(loads) <= 1
    assert "Mọi bài đều đủ giám khảo" in html
    [row] = audits("creative.assign")
    assert row.details["k"] == 3 and len(row.details["after"]) == 6


def test_same_school_conflict_across_school_records_and_cli_created_judges(world, app):
    """E1's members are of School("THCS A", "Quận 1"), its mentor of "THCS Mentor"; judges created by
    `create-user --school` get a school record with an empty district."""
    e1, e2 = world["e1"], world["e2"]
    runner = app.test_cli_runner()
    for username, school in (("gk_cli_a", "Trường  THCS A"), ("gk_cli_m", "trường thcs mentor")):
        result = runner.invoke(args=["create-user", username, "--password", "secret123", "--role", "judge",
                                     "--school", school])
        assert result.exit_code == 0, result.output
    other_district = make_judge("gk_a_q5", "THCS A", district="Quận 5")
    no_district = make_judge("gk_b_plain", "THCS B", district="")
    cli_a = db.session.scalar(select(User).where(User.username == "gk_cli_a"))
    cli_m = db.session.scalar(select(User).where(User.username == "gk_cli_m"))
    assert cli_a.school_id != world["students"][0].school_id and cli_a.school.district == ""
    assert ops.conflict_of(cli_a, e1) == "same_school"  # other record, empty district, prefix + spaces
    assert ops.conflict_of(cli_m, e1) == "mentor_school"
    assert ops.conflict_of(other_district, e1) is None  # same name, both districts set and different
    assert ops.conflict_of(no_district, e2) == "same_school"  # "THCS B" (no district) vs THCS B, Quận 2
    assert ops.conflict_of(cli_a, e2) is None


def test_declared_conflict_removes_unscored_assignments_only(world, client):
    e1, e2, gk3 = world["e1"], world["e2"], world["judges"]["gk3"]
    assign(e1, gk3)
    assign(e2, gk3)
    submit(e2, gk3, [20, 20, 20, 10])
    client.login("gk3")
    # both entries have a member in Quận 1 / Quận 2: declare both units; E2 is already scored, so it stays
    for unit in ("Quận 1", "Quận 2"):
        r = client.post_form("/creative/judge/conflicts", {"kind": "unit", "unit": unit, "reason": "đơn vị cũ"})
        assert r.status_code == 302
    assert not ops.is_assigned(gk3, e1, 1) and ops.is_assigned(gk3, e2, 1)
    rows = audits("creative.conflict")
    assert rows[0].details["removed_assignments"] == [{"entry_id": e1.id, "round": 1}]
    assert rows[1].details["removed_assignments"] == [] and rows[1].details["after"]["source"] == "declared"
    r = client.post_form("/creative/judge/conflicts", {"kind": "unit", "unit": ""})
    assert "Chọn đúng một" in r.get_data(as_text=True)
    assert len(ops.conflict_rows()) == 2


def test_shortfall_report_and_manual_add_rechecked(world, client):
    d2, e1, e2, js = world["d2"], world["e1"], world["e2"], world["judges"]
    ops.set_panel(d2, 1, [js["gk_a"].id, js["gk_mentor"].id, js["gk1"].id], world["organiser"])
    client.login("btc")
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "run", "per_entry": "2"})
    html = r.get_data(as_text=True)
    assert "không đủ giám khảo" in html
    assert f"#{e1.id} Máy tưới cây thông minh: 1 / 2 giám khảo" in html
    assert "gk_a: cùng trường với một thành viên" in html and "gk_mentor: cùng trường với giáo viên hướng dẫn" in html
    assert {j for e, j in ((a.entry_id, a.judge_id) for a in ops.assignments(d2)) if e == e1.id} == {js["gk1"].id}
    # adding a conflicted judge by hand is refused, a free one is accepted
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "add", "entry_id": str(e1.id), "judge_id": str(js["gk_a"].id)})
    assert r.status_code == 409 and "xung đột lợi ích" in r.get_data(as_text=True)
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "add", "entry_id": str(e1.id), "judge_id": str(js["gk2"].id)})
    assert r.status_code == 302
    assert ops.is_assigned(js["gk2"], e1, 1)
    # remove by hand
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "remove", "entry_id": str(e1.id), "judge_id": str(js["gk2"].id)})
    assert r.status_code == 302 and not ops.is_assigned(js["gk2"], e1, 1)
    assert [a.action for a in db.session.scalars(select(AuditLog).where(AuditLog.action.like("creative.assign%")))] == [
        "creative.assign", "creative.assign_add", "creative.assign_remove"]


def test_cli_assign_and_ranking_json(world, app):
    d2, e1, e2, js = world["d2"], world["e1"], world["e2"], world["judges"]
    contest = world["contest"]
    runner = app.test_cli_runner()
    ops.set_panel(d2, 1, [js["gk_a"].id, js["gk1"].id, js["gk2"].id], world["organiser"])
    result = runner.invoke(args=["creative", "assign", "--contest", str(contest.id), "--division", "D2", "--per-entry", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["division"] == "D2" and len(data["assignments"]) == 5
    [short] = data["shortfall"]
    assert short == {"entry_id": e1.id, "needed": 3, "assigned": 2, "eligible": 2, "reason": "conflicts",
                     "conflicted": {str(js["gk_a"].id): "same_school"}}
    assert sorted(data["loads"].values()) == [1, 2, 2]
    bad = runner.invoke(args=["creative", "assign", "--contest", str(contest.id), "--division", "ZZ", "--json"])
    assert bad.exit_code != 0 and "divisions: D2" in bad.output

    submit(e1, js["gk1"], [20, 20, 20, 10])  # 70
    submit(e1, js["gk2"], [25, 20, 20, 15])  # 80
    submit(e2, js["gk_a"], [25, 20, 20, 10])  # 75
    result = runner.invoke(args=["creative", "ranking", "--contest", str(contest.id), "--division", "D2", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows == [
        {"entry_id": e1.id, "title": "Máy tưới cây thông minh", "members": ["hs_a1", "hs_a2"], "score": 75.0, "rank": 1, "judges": 2, "flagged": False, "provisional": False},
        {"entry_id": e2.id, "title": "Trò chơi học toán", "members": ["hs_b1"], "score": 75.0, "rank": 1, "judges": 1, "flagged": False, "provisional": False},
    ]


# -- score sheets: pages, locking, unlocking, audit ----------------------------------------------------
def test_judge_saves_draft_submits_and_organiser_unlocks(world, client):
    d2, e1, gk1 = world["d2"], world["e1"], world["judges"]["gk1"]
    assign(e1, gk1)
    crit = ops.rubric(d2)
    url = f"/creative/judge/entries/{e1.id}/1"
    client.login("gk1")
    r = client.get("/creative/judge")
    assert "Đã nộp 0 / 1 phiếu chấm · còn lại 1" in r.get_data(as_text=True)
    # out of range: refused with the criterion named, nothing stored
    r = client.post_form(url, {f"c_{crit[0].id}": "31", "action": "save"})
    assert r.status_code == 422 and "Ý tưởng và tính sáng tạo: điểm phải từ 0 đến 30" in r.get_data(as_text=True)
    assert ops.sheet_for(e1, gk1, 1) is None
    # a draft may be partial; a submit may not
    r = client.post_form(url, {f"c_{crit[0].id}": "25", "comment": "Ý tưởng hay", "action": "save"})
    assert r.status_code == 302
    sheet = ops.sheet_for(e1, gk1, 1)
    assert sheet.status == "draft" and sheet.points == {str(crit[0].id): 25.0} and sheet.total is None
    r = client.post_form(url, {f"c_{crit[0].id}": "25", "action": "submit"})
    assert r.status_code == 422 and "chưa cho điểm" in r.get_data(as_text=True)
    form = {f"c_{c.id}": v for c, v in zip(crit, ["25", "20,5", "18", "12"])}
    r = client.post_form(url, {**form, "comment": "Tốt", "action": "submit"}, follow_redirects=True)
    assert r.status_code == 200 and "Đã nộp phiếu chấm" in r.get_data(as_text=True)
    db.session.refresh(sheet)
    assert sheet.status == "submitted" and sheet.total == 75.5
    # locked
    r = client.post_form(url, {**form, "action": "save"}, form_url="/creative/judge")
    assert r.status_code == 409 and "bị khoá" in r.get_data(as_text=True)
    db.session.refresh(sheet)
    assert sheet.status == "submitted"
    # the organiser unlocks with a reason (without one: refused)
    client.post_form("/auth/logout", {}, form_url="/creative/judge")
    client.login("btc")
    r = client.post_form(f"/creative/org/sheets/{sheet.id}/unlock", {"reason": ""}, form_url=f"/creative/org/{d2.id}/sheets",
                         follow_redirects=True)
    assert "Hãy ghi lý do" in r.get_data(as_text=True)
    db.session.refresh(sheet)
    assert sheet.status == "submitted"
    r = client.post_form(f"/creative/org/sheets/{sheet.id}/unlock", {"reason": "Giám khảo nhập nhầm điểm"},
                         form_url=f"/creative/org/{d2.id}/sheets", follow_redirects=True)
    assert r.status_code == 200
    db.session.refresh(sheet)
    assert sheet.status == "draft"
    saves = audits("creative.score_save")
    assert saves[0].details["before"] is None and saves[0].details["after"]["points"] == {str(crit[0].id): 25.0}
    [sub] = audits("creative.score_submit")
    assert sub.user_id == gk1.id and sub.details["before"]["status"] == "draft" and sub.details["after"]["total"] == 75.5
    [unlock] = audits("creative.score_unlock")
    assert unlock.user_id == world["organiser"].id and unlock.details["reason"] == "Giám khảo nhập nhầm điểm"
    assert unlock.details["before"]["status"] == "submitted" and unlock.details["after"]["status"] == "draft"
    assert unlock.target == f"entry:{e1.id}"


def test_judge_cannot_read_or_score_unassigned_entry(world, client):
    e1, e2, gk1 = world["e1"], world["e2"], world["judges"]["gk1"]
    assign(e1, gk1)
    client.login("gk1")
    assert client.get(f"/creative/judge/entries/{e1.id}/1").status_code == 200
    assert client.get(f"/creative/judge/entries/{e2.id}/1").status_code == 403
    assert client.get(f"/creative/judge/entries/{e2.id}/1/print").status_code == 403
    assert client.get(f"/creative/judge/entries/{e1.id}/2").status_code == 403  # not assigned in round 2
    r = client.post_form(f"/creative/judge/entries/{e2.id}/1", {"action": "save"}, form_url=f"/creative/judge/entries/{e1.id}/1")
    assert r.status_code == 403
    assert client.get("/creative/judge/entries/9999/1").status_code == 404
    headers = token(client, "gk1")
    r = client.put(f"/api/v1/creative/entries/{e2.id}/score", json={"criteria": {"Trình bày": 10}}, headers=headers)
    assert r.status_code == 403
    assert [e["entry_id"] for e in client.get("/api/v1/creative/assigned", headers=headers).get_json()["entries"]] == [e1.id]
    assert db.session.scalar(select(ScoreSheet.id)) is None
    # students and organisers are not judges; judges are not organisers
    assert client.get(f"/creative/org/{world['d2'].id}").status_code == 403
    student = token(client, "hs_a1")
    assert client.get("/api/v1/creative/assigned", headers=student).status_code == 403


def test_api_score_sheet(world, client):
    d2, e1, gk1 = world["d2"], world["e1"], world["judges"]["gk1"]
    assign(e1, gk1)
    h = token(client, "gk1")
    [item] = client.get("/api/v1/creative/assigned", headers=h).get_json()["entries"]
    assert item["sheet"] is None and [c["max_points"] for c in item["criteria"]] == [30, 25, 25, 20]
    assert item["members"][0]["username"] == "hs_a1" and item["mentor"] == {"name": "Cô Lan", "school": "THCS Mentor"}
    url = f"/api/v1/creative/entries/{e1.id}/score"
    r = client.put(url, json={"criteria": {"Trình bày": 21}}, headers=h)
    assert r.status_code == 422 and "Trình bày" in r.get_json()["error"]
    r = client.put(url, json={"criteria": {"Âm nhạc": 5}}, headers=h)
    assert r.status_code == 422 and "Âm nhạc" in r.get_json()["error"]
    r = client.put(url, json={"criteria": {"Trình bày": 15}, "submit": True}, headers=h)
    assert r.status_code == 422 and "chưa cho điểm" in r.get_json()["error"]
    r = client.put(url, json={"criteria": "x"}, headers=h)
    assert r.status_code == 422
    r = client.put(url, json={"criteria": {"Trình bày": 15}, "round": 2}, headers=h)
    assert r.status_code == 403
    r = client.put(url, json={"criteria": {"Trình bày": 15}, "comment": "nháp"}, headers=h)
    assert r.status_code == 200 and r.get_json()["sheet"]["status"] == "draft"
    full = {"Ý tưởng và tính sáng tạo": 28, "Tính ứng dụng thực tiễn": 20, "Chất lượng kỹ thuật": 22.5, "Trình bày": 15}
    r = client.put(url, json={"criteria": full, "comment": "Rất tốt", "submit": True}, headers=h)
    assert r.status_code == 200
    sheet = r.get_json()["sheet"]
    assert sheet["status"] == "submitted" and sheet["total"] == 85.5 and sheet["criteria"] == full
    r = client.put(url, json={"criteria": full}, headers=h)
    assert r.status_code == 409
    assert division_ranking(d2.id)[0]["score"] == 85.5
    # blind mode: no members or mentor in the API
    db.session.scalar(select(CreativeSettings).where(CreativeSettings.division_id == d2.id)).blind = True
    db.session.commit()
    [item] = client.get("/api/v1/creative/assigned", headers=h).get_json()["entries"]
    assert "members" not in item and "mentor" not in item and item["blind"] is True


def test_blind_mode_hides_names_schools_and_mentor_on_pages(world, client):
    d2, e1, gk1 = world["d2"], world["e1"], world["judges"]["gk1"]
    assign(e1, gk1)
    client.login("gk1")
    for url in (f"/creative/judge/entries/{e1.id}/1", f"/creative/judge/entries/{e1.id}/1/print"):
        html = client.get(url).get_data(as_text=True)
        assert "Học sinh hs_a1" in html and "Cô Lan" in html and "THCS A" in html
    ops.save_judging_settings(d2, world["organiser"], blind=True)
    for url in (f"/creative/judge/entries/{e1.id}/1", f"/creative/judge/entries/{e1.id}/1/print", "/creative/judge"):
        html = client.get(url).get_data(as_text=True)
        assert "Máy tưới cây thông minh" in html
        for secret in ("Học sinh hs_a1", "hs_a1", "Cô Lan", "THCS Mentor", "THCS A"):
            assert secret not in html, (url, secret)


# -- aggregation on the database, ranking pages, two rounds --------------------------------------------
def test_ranking_ties_flags_methods_and_pages(world, client, make_user):
    d2, e1, e2, js = world["d2"], world["e1"], world["e2"], world["judges"]
    b2 = make_student("hs_b2", "THCS B", "Quận 2")
    e3 = make_entry(d2, [b2], "Website thư viện")
    for e in (e1, e2, e3):
        for j in ("gk1", "gk2", "gk3"):
            assign(e, js[j])
    submit(e1, js["gk1"], [30, 25, 25, 20])  # 100
    submit(e1, js["gk2"], [15, 15, 10, 10])  # 50
    submit(e1, js["gk3"], [20, 20, 20, 10])  # 70  -> mean 73.33, spread 50 -> flagged
    submit(e2, js["gk1"], [20, 20, 20, 10])  # 70
    submit(e2, js["gk2"], [20, 20, 20, 10])  # 70
    submit(e2, js["gk3"], [25, 20, 20, 15])  # 80  -> mean 73.33
    ops.save_sheet(e3, js["gk1"], 1, points(d2, [10]), "", submit=False)  # a draft does not count
    rows = division_ranking(d2.id)
    assert [(r["entry_id"], r["rank"], r["score"], r["judges"], r["flagged"]) for r in rows] == [
        (e1.id, 1, 73.3333, 3, True), (e2.id, 1, 73.3333, 3, False), (e3.id, None, None, 0, False)]
    assert set(rows[0]) == {"entry_id", "title", "members", "member_ids", "score", "round1_score", "round2_score",
                            "rank", "judges", "flagged", "tier", "provisional", "round2_pending"}
    assert rows[0]["member_ids"] == [world["students"][0].id, world["students"][1].id]
    client.login("btc")
    html = client.get(f"/creative/org/{d2.id}/ranking").get_data(as_text=True)
    assert html.count("(đồng hạng)") == 2
    html = client.get(f"/creative/org/{d2.id}").get_data(as_text=True)
    assert "Máy tưới cây thông minh" in html.split('id="flagged"')[1]
    assert "Trò chơi học toán" not in html.split('id="flagged"')[1]
    html = client.get(f"/creative/org/{d2.id}/sheets?entry={e1.id}").get_data(as_text=True)
    assert html.count(f'data-entry="{e1.id}"') == 3 and f'data-entry="{e2.id}"' not in html
    # the organiser switches to the trimmed mean with a 4th judge on E1: drop 100 and 50 -> (70 + 60) / 2
    r = client.post_form(f"/creative/org/{d2.id}/judging", {"judges_per_entry": "3", "aggregation": "trimmed",
                                                           "disagreement_threshold": "60", "round2_weight": "1"})
    assert r.status_code == 302
    assign(e1, js["gk_unit"])
    submit(e1, js["gk_unit"], [20, 20, 10, 10])  # 60
    rows = {r["entry_id"]: r for r in division_ranking(d2.id)}
    assert rows[e1.id]["score"] == 65.0 and rows[e2.id]["score"] == 73.3333 and rows[e2.id]["rank"] == 1
    assert rows[e1.id]["flagged"] is False  # 100 - 50 = 50 is not above 60
    for page in ("", "/judging", "/sheets", "/panel/1", "/rubric/1", "/round/1"):
        assert client.get(f"/creative/org/{d2.id}{page}").status_code == 200, page


def test_two_rounds_selection_and_final_blend(world, client):
    d2, e1, e2, js = world["d2"], world["e1"], world["e2"], world["judges"]
    b2 = make_student("hs_b2", "THCS B", "Quận 2")
    e3 = make_entry(d2, [b2], "Website thư viện")
    for e, total in ((e1, [25, 20, 20, 15]), (e2, [20, 20, 20, 10]), (e3, [15, 15, 10, 10])):  # 80, 70, 50
        assign(e, js["gk1"])
        submit(e, js["gk1"], total)
    org = world["organiser"]
    with pytest.raises(ops.CreativeRefused):
        ops.save_judging_settings(d2, org, two_rounds=True)  # needs K or a minimum score
    ops.save_judging_settings(d2, org, two_rounds=True, round2_top_k=2, round2_weight=0.5)
    assert [e.id for e in ops.round_entries(d2, 2)] == [e1.id, e2.id]
    ops.set_panel(d2, 2, [js["gk2"].id, js["gk3"].id], org)
    result = ops.run_assignment(d2, 2, 2, org)
    assert result.shortfall == [] and len(result.assignments) == 4
    # round 2 has its own rubric: a single criterion out of 10
    ops.save_rubric(d2, 2, [{"name": "Thuyết trình", "max_points": 10}], org)
    for e, (a, b) in ((e1, (5, 7)), (e2, (10, 9))):  # round 2: e1 60, e2 95
        ops.save_sheet(e, js["gk2"], 2, points(d2, [a], 2), "", submit=True)
        ops.save_sheet(e, js["gk3"], 2, points(d2, [b], 2), "", submit=True)
    rows = division_ranking(d2.id)
    # final = 0.5 * round2 + 0.5 * round1: e2 = 0.5*95 + 0.5*70 = 82.5; e1 = 0.5*60 + 0.5*80 = 70; e3 stays 50, below
    assert [(r["entry_id"], r["score"], r["round1_score"], r["round2_score"], r["rank"], r["judges"]) for r in rows] == [
        (e2.id, 82.5, 70.0, 95.0, 1, 2), (e1.id, 70.0, 80.0, 60.0, 2, 2), (e3.id, 50.0, 50.0, None, 3, 1)]
    client.login("btc")
    html = client.get(f"/creative/org/{d2.id}/judging").get_data(as_text=True)
    assert "0.5 × điểm vòng 2 + 0.5 × điểm vòng 1" in html
    assert client.get(f"/creative/org/{d2.id}/round/2").status_code == 200


def test_ranking_while_round2_is_scored_is_provisional_and_cannot_be_locked(world, client, app):
    d2, e1, e2, js, org = world["d2"], world["e1"], world["e2"], world["judges"], world["organiser"]
    e3 = make_entry(d2, [make_student("hs_c1", "THCS C")], "Website thư viện")
    e4 = make_entry(d2, [make_student("hs_d1", "THCS D")], "Ứng dụng đọc sách")
    for e, total in ((e1, [28, 22, 22, 18]), (e2, [25, 20, 20, 15]), (e3, [20, 20, 20, 10]), (e4, [20, 15, 15, 10])):
        assign(e, js["gk1"])  # round 1: 90, 80, 70, 60
        submit(e, js["gk1"], total)
    ops.save_judging_settings(d2, org, two_rounds=True, round2_top_k=2, round2_weight=1)
    ops.save_rubric(d2, 2, [{"name": "Thuyết trình", "max_points": 10}], org)
    for e in (e1, e2):
        assign(e, js["gk2"], 2)

    def table():
        return [(r["entry_id"], r["score"], r["rank"], r["provisional"], r["round2_pending"])
                for r in division_ranking(d2.id)]

    # round 2 not scored: e1, e2 keep places 1, 2 by round 1 (was: None, None and e3 first)
    assert table() == [(e1.id, None, 1, True, True), (e2.id, None, 2, True, True),
                       (e3.id, 70.0, 3, True, False), (e4.id, 60.0, 4, True, False)]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["creative", "ranking", "--contest", str(world["contest"].id), "--division", "D2", "--json"])
    assert result.exit_code == 0, result.output
    assert [(r["entry_id"], r["score"], r["rank"], r["provisional"]) for r in json.loads(result.output)] == [
        (e1.id, None, 1, True), (e2.id, None, 2, True), (e3.id, 70.0, 3, True), (e4.id, 60.0, 4, True)]
    text = runner.invoke(args=["creative", "ranking", "--contest", str(world["contest"].id), "--division", "D2"])
    assert "PROVISIONAL: waiting for round 2 (2 entries" in text.output
    client.login("btc")
    html = client.get(f"/creative/org/{d2.id}/ranking").get_data(as_text=True)
    assert 'id="provisional"' in html and "đang chờ điểm vòng 2 của 2 bài" in html and html.count("round2-pending") == 2
    with pytest.raises(results_svc.ResultsError) as refused:
        results_svc.lock(d2, org)
    assert str(refused.value) == (f"Chưa khoá được kết quả bảng D2: 2 bài vào vòng 2 chưa có điểm vòng 2 "
                                  f"(bài số {e1.id}, {e2.id}). Hãy chấm xong vòng 2 rồi khoá.")
    page = client.post_form(f"/results/divisions/{d2.id}/lock", {}, form_url=f"/results/divisions/{d2.id}/preview",
                            follow_redirects=True).get_data(as_text=True)
    assert "chưa có điểm vòng 2" in page and results_svc.division_rows(d2.id) == []

    # e1 scored in round 2 (5/10 -> 50), e2 not yet: e2 by its round-1 80 first, then e1 (50)
    ops.save_sheet(e1, js["gk2"], 2, points(d2, [5], 2), "", submit=True)
    assert table() == [(e2.id, None, 1, True, True), (e1.id, 50.0, 2, True, False),
                       (e3.id, 70.0, 3, True, False), (e4.id, 60.0, 4, True, False)]
    with pytest.raises(results_svc.ResultsError, match=f"1 bài vào vòng 2 chưa có điểm vòng 2 \\(bài số {e2.id}\\)"):
        results_svc.lock(d2, org)

    # round 2 complete (e2: 9/10 -> 90): the final ranking, round-2 entries above the rest
    ops.save_sheet(e2, js["gk2"], 2, points(d2, [9], 2), "", submit=True)
    assert table() == [(e2.id, 90.0, 1, False, False), (e1.id, 50.0, 2, False, False),
                       (e3.id, 70.0, 3, False, False), (e4.id, 60.0, 4, False, False)]
    html = client.get(f"/creative/org/{d2.id}/ranking").get_data(as_text=True)
    assert 'id="provisional"' not in html and "round2-pending" not in html
    locked = results_svc.lock(d2, org)
    assert [(r["entrant"], r["rank"]) for r in locked.snapshot] == [
        (f"entry:{e2.id}", 1), (f"entry:{e1.id}", 2), (f"entry:{e3.id}", 3), (f"entry:{e4.id}", 4)]


def test_judge_affiliation_and_panel_pages(world, client, app):
    d2, gk1 = world["d2"], world["judges"]["gk1"]
    client.login("btc")
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "judge", "judge_id": str(gk1.id), "school": "THCS B",
                                                          "district": "Quận 2", "unit": "Quận 2"})
    assert r.status_code == 302
    db.session.refresh(gk1)
    assert gk1.school.name == "THCS B" and gk1.unit == "Quận 2"
    assert ops.conflict_of(gk1, world["e2"]) == "same_school"
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "panel", "judge_ids": [str(gk1.id), str(world["judges"]["gk2"].id)]})
    assert r.status_code == 302
    assert [u.username for u in ops.panel(d2, 1)] == ["gk1", "gk2"]
    result = app.test_cli_runner().invoke(args=["create-user", "gk9", "--password", "secret123", "--role", "judge",
                                                "--school", "THPT X", "--unit", "Quận 9"])
    assert result.exit_code == 0, result.output
    gk9 = db.session.scalar(select(User).where(User.username == "gk9"))
    assert gk9.school.name == "THPT X" and gk9.unit == "Quận 9"


def test_demo_adds_creative_divisions_with_entries_and_the_demo_judge(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    first = {d.code: len(ops.division_entries(d)) for d in db.session.scalars(select(Division).where(Division.content == "creative"))}
    assert set(first) == {"D1", "D2", "D3"} and all(n >= 1 for n in first.values())
    judge = db.session.scalar(select(User).where(User.username == "giamkhao"))
    assigned = ops.judge_assignments(judge)
    assert {a.entry.division.code for a in assigned} == {"D1", "D2", "D3"}
    assert runner.invoke(args=["demo"]).exit_code == 0
    again = {d.code: len(ops.division_entries(d)) for d in db.session.scalars(select(Division).where(Division.content == "creative"))}
    assert again == first and len(ops.judge_assignments(judge)) == len(assigned)


# -- files on the judge's pages and API; conflicts that appear after the assignment ------------------
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _add_files(world):
    """E1 gets a description PDF and a product zip named after the team (added by the organiser)."""
    import io
    import zipfile

    from webapp.services import creative_entries as entries_svc

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("main.py", b"print('xin chao')\n")
    e1 = world["e1"]
    staged = [entries_svc.stage_file(e1.division, "description", io.BytesIO(PDF), "Doi THCS A - thuyet minh.pdf"),
              entries_svc.stage_file(e1.division, "product", io.BytesIO(buf.getvalue()), "Doi THCS A.zip")]
    files = entries_svc.add_files(world["organiser"], e1, staged)
    return files, {"description": PDF, "product": buf.getvalue()}


def _filename(response):
    from werkzeug.http import parse_options_header

    kind, opts = parse_options_header(response.headers["Content-Disposition"])
    assert kind == "attachment"
    return opts["filename"]


def test_assigned_judge_sheet_links_each_file_and_downloads_it(world, client):
    e1, gk1 = world["e1"], world["judges"]["gk1"]
    files, data = _add_files(world)
    assign(e1, gk1)
    client.login("gk1")
    for page in (f"/creative/judge/entries/{e1.id}/1", f"/creative/judge/entries/{e1.id}/1/print"):
        html = client.get(page).get_data(as_text=True)
        for f in files:
            assert f'href="/creative/entries/{e1.id}/files/{f.id}"' in html, (page, f.kind)
        assert "Bản thuyết minh (PDF)" in html and "Sản phẩm, mã nguồn (.zip)" in html
        assert f"{len(PDF)} Bytes" in html
    for f in files:
        r = client.get(f"/creative/entries/{e1.id}/files/{f.id}")
        assert r.status_code == 200 and r.data == data[f.kind]
        assert _filename(r) == f.original_name  # not blind: the uploaded name
        r.close()
    # a judge not assigned to the entry may not download
    client.post_form("/auth/logout", {}, form_url="/creative/judge")
    client.login("gk2")
    assert client.get(f"/creative/entries/{e1.id}/files/{files[0].id}").status_code == 403


def test_blind_mode_download_name_hides_the_uploaded_name_from_judges(world, client):
    d2, e1, gk1 = world["d2"], world["e1"], world["judges"]["gk1"]
    files, data = _add_files(world)
    assign(e1, gk1)
    ops.save_judging_settings(d2, world["organiser"], blind=True)
    client.login("gk1")
    html = client.get(f"/creative/judge/entries/{e1.id}/1").get_data(as_text=True)
    assert "Doi THCS A" not in html and f'href="/creative/entries/{e1.id}/files/{files[0].id}"' in html
    expected = {"description": f"entry{e1.id}-description.pdf", "product": f"entry{e1.id}-product.zip"}
    for f in files:
        r = client.get(f"/creative/entries/{e1.id}/files/{f.id}")
        assert r.status_code == 200 and r.data == data[f.kind]
        assert _filename(r) == expected[f.kind] and "Doi" not in r.headers["Content-Disposition"]
        r.close()
    # the API download of the judge hides it too; organisers and the team keep the real name
    r = client.get(f"/api/v1/creative/entries/{e1.id}/files/{files[1].id}", headers=token(client, "gk1"))
    assert r.status_code == 200 and _filename(r) == expected["product"]
    r.close()
    for who in ("btc", "hs_a1"):
        client.post_form("/auth/logout", {}, form_url="/")
        client.login(who)
        r = client.get(f"/creative/entries/{e1.id}/files/{files[0].id}")
        assert r.status_code == 200 and _filename(r) == "Doi THCS A - thuyet minh.pdf", who
        r.close()


def test_api_judge_view_lists_files(world, client):
    e1, e2, gk1 = world["e1"], world["e2"], world["judges"]["gk1"]
    files, data = _add_files(world)
    assign(e1, gk1)
    assign(e2, gk1)
    h = token(client, "gk1")
    items = {i["entry_id"]: i for i in client.get("/api/v1/creative/assigned", headers=h).get_json()["entries"]}
    assert items[e1.id]["files"] == [
        {"id": files[0].id, "kind": "description", "size": len(PDF), "url": f"/api/v1/creative/entries/{e1.id}/files/{files[0].id}"},
        {"id": files[1].id, "kind": "product", "size": len(data["product"]), "url": f"/api/v1/creative/entries/{e1.id}/files/{files[1].id}"},
    ]
    assert items[e2.id]["files"] == []
    r = client.get(items[e1.id]["files"][0]["url"], headers=h)
    assert r.status_code == 200 and r.data == PDF
    r.close()


def test_sheet_refused_when_a_conflict_appears_after_assignment(world, client):
    e1, gk1 = world["e1"], world["judges"]["gk1"]
    assign(e1, gk1)
    ops.save_sheet(e1, gk1, 1, points(e1.division, [20]), "nháp")
    # the organiser records a conflict afterwards: the draft keeps the assignment, saving is refused
    ops.record_conflict(gk1, world["organiser"], entry_id=e1.id, reason="họ hàng")
    assert ops.is_assigned(gk1, e1, 1)
    [row] = audits("creative.conflict")
    assert row.details["removed_assignments"] == [] and row.details["conflicted_scored"] == [
        {"entry_id": e1.id, "round": 1, "conflict": "organiser"}]
    with pytest.raises(ops.CreativeRefused) as exc:
        submit(e1, gk1, [25, 20, 20, 15])
    assert exc.value.http_status == 409
    assert "xung đột lợi ích" in str(exc.value) and "Ban tổ chức ghi nhận" in str(exc.value) and "báo Ban tổ chức" in str(exc.value)
    sheet = ops.sheet_for(e1, gk1, 1)
    assert sheet.status == "draft" and sheet.comment == "nháp"
    # the page and the API refuse as well, and the sheet page says why
    client.login("gk1")
    html = client.get(f"/creative/judge/entries/{e1.id}/1").get_data(as_text=True)
    assert 'id="sheet-conflict"' in html
    r = client.post_form(f"/creative/judge/entries/{e1.id}/1", {"action": "save", "comment": "x"})
    assert r.status_code == 409 and "xung đột lợi ích" in r.get_data(as_text=True)
    r = client.put(f"/api/v1/creative/entries/{e1.id}/score", json={"criteria": {"Trình bày": 10}}, headers=token(client, "gk1"))
    assert r.status_code == 409 and "xung đột lợi ích" in r.get_json()["error"]
    assert ops.sheet_for(e1, gk1, 1).comment == "nháp" and len(audits("creative.score_save")) == 1


def test_new_affiliation_removes_unscored_conflicting_assignments_and_marks_scored(world, client):
    d2, e1, e2, gk1 = world["d2"], world["e1"], world["e2"], world["judges"]["gk1"]
    assign(e1, gk1)
    assign(e2, gk1)
    ops.save_sheet(e2, gk1, 1, points(d2, [10]))  # a draft on E2
    client.login("btc")
    # gk1 moves to THCS A (E1's members' school) and unit Quận 2 (E2's member's unit)
    r = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "judge", "judge_id": str(gk1.id), "school": "THCS A",
                                                          "district": "Quận 1", "unit": "Quận 2"}, follow_redirects=True)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert f"#{e2.id} (cùng đơn vị với một thành viên)" in html  # the flash names the kept scored one
    assert not ops.is_assigned(gk1, e1, 1) and ops.is_assigned(gk1, e2, 1)
    [row] = audits("creative.judge_affiliation")
    assert row.details["removed_assignments"] == [{"entry_id": e1.id, "round": 1}]
    assert row.details["conflicted_scored"] == [{"entry_id": e2.id, "round": 1, "conflict": "same_unit"}]
    assert [(a.entry_id, code) for a, code in ops.conflicted_assignments(d2)] == [(e2.id, "same_unit")]
    # the panel page marks the conflicting assignment
    html = client.get(f"/creative/org/{d2.id}/panel/1").get_data(as_text=True)
    assert html.count('class="badge badge-over conflict-marker"') == 1
    assert "xung đột: cùng đơn vị với một thành viên" in html
    # the service alone reports the same
    assert ops.set_judge_affiliation(gk1, "THCS A", "Quận 1", "Quận 2", world["organiser"]) == {
        "removed": [], "kept": [{"entry_id": e2.id, "round": 1, "conflict": "same_unit"}]}


def test_rerun_assignment_drops_unscored_conflicting_kept_pairs_and_lists_scored(world, client, app):
    d2, e1, e2, js = world["d2"], world["e1"], world["e2"], world["judges"]
    # pairs stored before their conflict existed (as if the team changed): gk_a/E1 by hand, no sheet;
    # gk_unit/E2 by hand with a submitted sheet
    assign(e1, js["gk_a"])
    assign(e2, js["gk_unit"])
    db.session.add(ScoreSheet(entry_id=e2.id, judge_id=js["gk_unit"].id, round=1, points={}, comment="",
                              status="submitted", total=70.0))
    db.session.commit()
    result = ops.run_assignment(d2, 1, 3, world["organiser"])
    assert not ops.is_assigned(js["gk_a"], e1, 1) and ops.is_assigned(js["gk_unit"], e2, 1)
    assert result.conflicted_fixed == [(e2.id, js["gk_unit"].id, "same_unit")]
    e1_judges = {j for e, j in result.assignments if e == e1.id}
    assert len(e1_judges) == 3 and not e1_judges & {js["gk_a"].id, js["gk_mentor"].id}
    [row] = audits("creative.assign")
    assert row.details["dropped_conflicting"] == [[e1.id, js["gk_a"].id]]
    assert row.details["conflicted_scored"] == [[e2.id, js["gk_unit"].id, "same_unit"]]
    # the report on the panel page lists it
    client.login("btc")
    html = client.post_form(f"/creative/org/{d2.id}/panel/1", {"action": "run", "per_entry": "3"}).get_data(as_text=True)
    assert 'id="conflicted-scored"' in html and f"#{e2.id} — gk_unit: cùng đơn vị với một thành viên" in html
    # and the CLI, in JSON and in text
    runner, args = app.test_cli_runner(), ["creative", "assign", "--contest", str(world["contest"].id), "--division", "D2"]
    data = json.loads(runner.invoke(args=args + ["--json"]).output)
    assert data["conflicted_fixed"] == [{"entry_id": e2.id, "judge_id": js["gk_unit"].id, "conflict": "same_unit"}]
    out = runner.invoke(args=args).output
    assert f"entry {e2.id}: judge {js['gk_unit'].id} kept although conflicted (same_unit): it has a score sheet" in out
