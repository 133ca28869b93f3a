"""Results workflow: entrants from the real scoreboard and external scores, the tally with adjustments,
lock/publish/unlock, permissions, the public page and the scoreboard freeze, appeals, CLI and API."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import (
    Appeal,
    AuditLog,
    ExternalScore,
    Problem,
    Submission,
    utcnow,
)
from webapp.services import results as svc
from webapp.services.results import creative_entrants


def add_problem(division, code="TONG"):
    p = Problem(division_id=division.id, code=code, title_vi=f"Bài {code}", package_path="/nonexistent",
                format="themis", published=True, max_score=100)
    db.session.add(p)
    db.session.commit()
    return p


def scored(user, problem, score, minutes=10, contest=None):
    contest = contest or problem.division.contest
    s = Submission(user_id=user.id, problem_id=problem.id, language="python3", source="print(1)", status="done",
                   verdict="AC" if score == 100 else "WA", score=score, max_score=100,
                   created_at=contest.start_at + timedelta(minutes=minutes))
    db.session.add(s)
    db.session.commit()
    return s


@pytest.fixture
def world(app, make_contest, make_user, admit):
    """Division B (programming) with 6 contestants scored 90, 80, 80, 60, 30, 0 on one problem,
    and an organiser. Rule: first 1, second 2, third 2 (at_most)."""
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    division = contest.divisions[0]
    problem = add_problem(division)
    users = []
    for i, score in enumerate([90, 80, 80, 60, 30, 0], start=1):
        u = make_user(f"hs{i}", full_name=f"Nguyễn Văn {chr(64 + i)}", unit=f"Quận {1 + i % 2}")
        admit(u, division)
        scored(u, problem, score, minutes=i)
        users.append(u)
    org = make_user("btc", role="organiser", full_name="Ban tổ chức")
    svc.save_prize_rule(division, {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 2},
                                              {"name": "third", "count": 2}]}, org)
    return dict(contest=contest, division=division, problem=problem, users=users, org=org)


def awards(rows):
    return [(r["username"], r["score"], r["rank"], r["award"]) for r in rows]


def test_tally_from_scoreboard_with_external_and_adjustments(world):
    division, users, org = world["division"], world["users"], world["org"]
    rows = svc.tally_division(division)
    # 90 first; 80, 80 second (1 + 2 = 3 fits); 60 third; 30 third; 0 none
    assert awards(rows) == [("hs1", 90, 1, "first"), ("hs2", 80, 2, "second"), ("hs3", 80, 2, "second"),
                            ("hs4", 60, 4, "third"), ("hs5", 30, 5, "third"), ("hs6", 0, 6, None)]
    assert rows[0]["full_name"] == "Nguyễn Văn A" and rows[0]["members"][0]["school"] == "Trường THCS Test"
    # an external score replaces hs6's computed 0
    db.session.add(ExternalScore(division_id=division.id, user_id=users[5].id, score=85))
    db.session.commit()
    rows = svc.tally_division(division)
    assert awards(rows)[:3] == [("hs1", 90, 1, "first"), ("hs6", 85, 2, "second"), ("hs2", 80, 3, "third")]
    assert rows[3]["award"] == "third" and rows[5]["username"] == "hs5" and rows[5]["award"] is None
    # an adjustment needs a reason; it is audited with before and after
    with pytest.raises(svc.ResultsError):
        svc.adjust(division, f"user:{users[4].id}", "award", "consolation", "  ", org)
    after = svc.adjust(division, f"user:{users[4].id}", "award", "consolation", "Hội đồng xét thêm", org)
    assert after["award"] == "consolation" and after["reason"] == "adjusted: Hội đồng xét thêm"
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "results.adjust")).one()
    assert log.details["before"]["award"] is None and log.details["after"]["award"] == "consolation"
    assert log.user_id == org.id and log.details["reason"] == "Hội đồng xét thêm"
    # a score adjustment moves the entrant
    svc.adjust(division, f"user:{users[3].id}", "score", "95", "Chấm sót test", org)
    rows = svc.tally_division(division)
    assert rows[0]["username"] == "hs4" and rows[0]["score"] == 95 and rows[0]["award"] == "first"
    with pytest.raises(svc.ResultsError):
        svc.adjust(division, f"user:{users[3].id}", "score", "abc", "x", org)


def test_icpc_division_ranks_by_solved_then_penalty(world, make_user, admit):
    contest, division, problem = world["contest"], world["division"], world["problem"]
    contest.scoring = "icpc"
    db.session.commit()
    rows = svc.tally_division(division)
    # solved: hs1..hs6 all submitted once; only score 100 is AC -> nobody solved; all tied at 0 -> no prize
    assert {r["award"] for r in rows} == {None} and {r["rank"] for r in rows} == {1}
    u = make_user("icpc1")
    admit(u, division)
    scored(u, problem, 100, minutes=30)
    v = make_user("icpc2")
    admit(v, division)
    scored(v, problem, 100, minutes=20)
    rows = svc.tally_division(division)
    assert [(r["username"], r["score"], r["rank"], r["award"]) for r in rows[:2]] == [("icpc2", 1, 1, "first"), ("icpc1", 1, 2, "second")]
    # an adjusted score (1 solved, the scoreboard's penalty of 0 for hs1: no AC) competes on the same
    # key: (1, 0) ranks above icpc2's (1, -20) and icpc1's (1, -30), not below them as a bare (1,)
    hs1 = world["users"][0]
    svc.adjust(division, f"user:{hs1.id}", "score", "1", "bài làm trên giấy được chấm lại", world["org"])
    rows = svc.tally_division(division)
    assert [(r["username"], r["score"], r["rank"]) for r in rows[:3]] == [("hs1", 1, 1), ("icpc2", 1, 2), ("icpc1", 1, 3)]


def test_creative_adapter_is_pure():
    ranking = [
        {"entry_id": 7, "title": "Robot tưới cây", "members": ["an", "binh"], "member_ids": [1, 2], "score": 88.5,
         "round1_score": 88.5, "round2_score": None, "rank": 1, "judges": 3, "flagged": False},
        {"entry_id": 9, "title": "Game toán", "members": ["chi"], "member_ids": [3], "score": None,
         "round1_score": None, "round2_score": None, "rank": None, "judges": 0, "flagged": False},
    ]
    people = {1: {"username": "an", "full_name": "Lê An", "date_of_birth": "2011-02-03", "school": "THCS A",
                  "grade": 8, "unit": "Quận 1"},
              2: {"username": "binh", "full_name": "Trần Bình", "date_of_birth": "", "school": "THCS A",
                  "grade": 8, "unit": "Quận 1"}}
    out = creative_entrants(ranking, people)
    assert out[0]["entrant"] == "entry:7" and out[0]["score"] == 88.5 and out[0]["title"] == "Robot tưới cây"
    assert [m["full_name"] for m in out[0]["members"]] == ["Lê An", "Trần Bình"]
    assert out[1]["score"] is None and out[1]["members"][0]["username"] == "chi"  # unknown person: username only


def test_lock_publish_unlock_and_permissions(world, client, make_user):
    division, org, contest = world["division"], world["org"], world["contest"]
    student = world["users"][0]
    url = f"/results/contest/{contest.id}"
    assert svc.division_rows(division.id) == []
    client.login("hs1")
    page = client.get(url).get_data(as_text=True)
    assert "Nguyễn Văn B" not in page  # nothing before publishing
    assert client.get(f"/results/divisions/{division.id}/preview").status_code == 403
    assert client.get(f"/api/v1/results/divisions/{division.id}/tally").status_code in (401, 403)
    client.get("/auth/logout")
    svc.lock(division, org)
    rows = svc.division_rows(division.id)
    assert len(rows) == 6 and set(rows[0]) == set(svc.ROW_KEYS) and rows[0]["award"] == "first"
    assert not svc.is_published(division.id)
    with pytest.raises(svc.ResultsError):
        svc.adjust(division, f"user:{student.id}", "award", "", "x", org)  # locked
    client.login("hs1")
    assert "Nguyễn Văn B" not in client.get(url).get_data(as_text=True)
    svc.publish(division, org)
    page = client.get(url).get_data(as_text=True)
    assert "Nguyễn Văn B" in page and "Nhì" in page
    client.get("/auth/logout")
    assert "Nguyễn Văn B" in client.get(url).get_data(as_text=True)  # anonymous too
    with pytest.raises(svc.ResultsError):
        svc.unlock(division, org, "")
    svc.unlock(division, org, "Sai sót khi nhập điểm")
    assert svc.division_rows(division.id) == []
    assert "Nguyễn Văn B" not in client.get(url).get_data(as_text=True)
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "results.unlock")).one()
    assert log.details == {"before": "published", "after": "draft", "reason": "Sai sót khi nhập điểm"}


def test_publishing_lifts_the_scoreboard_freeze(app, client, make_contest, make_user, admit):
    now = utcnow()
    contest = make_contest(start_at=now - timedelta(hours=3), end_at=now - timedelta(hours=1), freeze_minutes=60)
    division = contest.divisions[0]
    problem = add_problem(division)
    u = make_user("late", full_name="Phạm Muộn")
    admit(u, division)
    scored(u, problem, 77, minutes=100)  # in the frozen last hour (minutes 60-120)
    org = make_user("btc", role="organiser")
    board = f"/contests/{contest.id}/scoreboard/{division.id}"
    client.login("late")
    cell = re.compile(r">\s*77(?:[.,]0+)?\s*<")  # the score as a table cell (not e.g. inside a CSRF token)
    assert not cell.search(client.get(board).get_data(as_text=True))
    svc.lock(division, org)
    svc.publish(division, org)
    page = client.get(board).get_data(as_text=True)
    assert cell.search(page) and "notice-published" in page


def test_overall_cap_and_qualifiers_in_the_tally(world, make_user, admit):
    contest, division, org = world["contest"], world["division"], world["org"]
    # own rule gives 5 prizes in B; an overall cap of 3 (B is the only division with prizes) binds
    svc.save_result_settings(contest, qualifier_rule={"divisions": {"B": {"top": 2}}, "per_unit_cap": 1,
                                                      "unit_by": "unit"},
                             overall_prize_cap=3, appeal_hours=24, by=org)
    rows = svc.tally_division(division)
    assert [r["award"] for r in rows] == ["first", "second", "second", None, None, None]
    # top 2 = hs1 (Quận 2), hs2 & hs3 tied at rank 2 -> the pair would make 3 > 2: out (at_most)
    assert [r["qualified"] for r in rows] == [True, False, False, False, False, False]
    assert rows[1]["qualified_reason"] == "tied group of 2 at rank 2 would exceed the top 2 of B"
    with pytest.raises(Exception):
        svc.save_result_settings(contest, qualifier_rule={"divisions": {"B": {"top": "x"}}}, overall_prize_cap=3,
                                 appeal_hours=24, by=org)


def test_appeal_rescore_with_before_and_after(world, client):
    division, org, users = world["division"], world["org"], world["users"]
    hs5 = users[4]
    with pytest.raises(svc.ResultsError):
        svc.file_appeal(hs5, division, "Em nghĩ bài em đúng", problem_id=world["problem"].id)  # not published
    svc.lock(division, org)
    svc.publish(division, org)
    client.login("hs5")
    r = client.post_form(f"/results/divisions/{division.id}/appeals/new",
                         {"problem_id": str(world["problem"].id), "reason": "Em nghĩ bài em đúng"},
                         form_url=f"/results/contest/{world['contest'].id}")
    assert r.status_code == 302, r.get_data(as_text=True)
    appeal = db.session.scalars(select(Appeal)).one()
    assert appeal.before == {"score": 30, "rank": 5, "award": "third", "qualified": None}
    with pytest.raises(svc.ResultsError):
        svc.file_appeal(hs5, division, "lần hai", problem_id=world["problem"].id)  # one open per problem
    client.get("/auth/logout")
    client.login("btc")
    r = client.post_form(f"/results/appeals/{appeal.id}", {"action": "rescore", "score": "85",
                                                           "response": "Chấm lại: đúng thêm 5 test"})
    assert r.status_code == 302
    db.session.refresh(appeal)
    assert appeal.status == "resolved"
    assert appeal.after == {"score": 85, "rank": 2, "award": "second", "qualified": None}
    rows = svc.division_rows(division.id)  # the published snapshot is rerun
    assert [(r["username"], r["award"]) for r in rows[:4]] == [("hs1", "first"), ("hs5", "second"),
                                                               ("hs2", "third"), ("hs3", "third")]
    actions = [a.action for a in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert "appeal.file" in actions and "appeal.resolve" in actions and "results.retally" in actions
    # the organiser's appeal page shows the before/after table: 30, rank 5, third -> 85, rank 2, second
    page = client.get(f"/results/appeals/{appeal.id}").get_data(as_text=True)
    table = re.search(r'<table class="table" id="before-after">(.*?)</table>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd]>(.*?)</t[hd]>", table, re.S)]
    assert cells[4:] == ["Trước", "30", "5", "Ba", "Sau", "85", "2", "Nhì"], cells
    client.get("/auth/logout")
    client.login("hs5")
    page = client.get(f"/results/contest/{world['contest'].id}").get_data(as_text=True)
    assert "Chấm lại: đúng thêm 5 test" in page and "85" in page


def test_appeal_window_and_reject(world):
    division, org, users = world["division"], world["org"], world["users"]
    svc.lock(division, org)
    svc.publish(division, org)
    late = utcnow() + timedelta(hours=49)
    with pytest.raises(svc.ResultsError):
        svc.file_appeal(users[1], division, "xin phúc khảo", problem_id=world["problem"].id, now=late)
    appeal = svc.file_appeal(users[1], division, "xin phúc khảo", problem_id=world["problem"].id)
    with pytest.raises(svc.ResultsError):
        svc.resolve_appeal(appeal, "reject", "", org)
    svc.resolve_appeal(appeal, "reject", "Bài làm đã được chấm đúng", org)
    assert appeal.status == "rejected" and appeal.after == appeal.before


def test_cli_tally_and_qualifiers_json(world, tmp_path):
    contest = world["contest"]
    runner = current_app.test_cli_runner()
    result = runner.invoke(args=["results", "tally", "--contest", str(contest.id), "--division", "B", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data[0] == {"username": "hs1", "full_name": "Nguyễn Văn A", "unit": "Quận 2", "score": 90, "rank": 1,
                       "award": "first", "reason": "rank 1, within the quota of 1 for first"}
    assert [d["award"] for d in data] == ["first", "second", "second", "third", "third", None]
    rules = tmp_path / "r.yaml"
    rules.write_text("levels:\n  - {name: first, count: 2}\nties: at_least\n")
    result = runner.invoke(args=["results", "tally", "--contest", str(contest.id), "--division", "B",
                                 "--rules", str(rules), "--json"])
    assert [d["award"] for d in json.loads(result.output)] == ["first", "first", "first", None, None, None]
    rules.write_text("levels: [{name: gold, count: 2}]\n")
    result = runner.invoke(args=["results", "tally", "--contest", str(contest.id), "--division", "B",
                                 "--rules", str(rules), "--json"])
    assert result.exit_code != 0 and "levels[0].name" in result.output
    q = tmp_path / "q.json"
    q.write_text(json.dumps({"divisions": {"B": {"top": 3}}}))
    result = runner.invoke(args=["results", "qualifiers", "--contest", str(contest.id), "--rules", str(q), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(d["username"], d["qualified"]) for d in data] == [("hs1", True), ("hs2", True), ("hs3", True),
                                                               ("hs4", False), ("hs5", False), ("hs6", False)]
    assert set(data[0]) == {"username", "full_name", "unit", "score", "rank", "qualified", "reason"}
    result = runner.invoke(args=["results", "qualifiers", "--contest", str(contest.id), "--json"])
    assert result.exit_code != 0 and "qualifier" in result.output


def test_api_tally_and_qualifiers(world, client):
    from tests.webapp.test_api import api

    division, contest, org = world["division"], world["contest"], world["org"]
    call = api(client, "btc")
    r = call("GET", f"/api/v1/results/divisions/{division.id}/tally")
    assert r.status_code == 200
    assert [(d["username"], d["award"]) for d in r.get_json()] == [("hs1", "first"), ("hs2", "second"), ("hs3", "second"),
                                                                  ("hs4", "third"), ("hs5", "third"), ("hs6", None)]
    r = call("GET", f"/api/v1/results/contests/{contest.id}/qualifiers")
    assert r.status_code == 422 and "qualifier" in r.get_json()["error"]
    svc.save_result_settings(contest, qualifier_rule="divisions: {B: {award_at_least: second}}", overall_prize_cap=None,
                             appeal_hours=48, by=org)
    data = call("GET", f"/api/v1/results/contests/{contest.id}/qualifiers").get_json()
    assert [(d["username"], d["qualified"]) for d in data][:4] == [("hs1", True), ("hs2", True), ("hs3", True), ("hs4", False)]
    assert data[3]["reason"] == "award third is below second"
    assert call("GET", "/api/v1/results/divisions/999/tally").status_code == 404
    student = api(client, "hs1")
    assert student("GET", f"/api/v1/results/divisions/{division.id}/tally").status_code == 403


def test_rule_editor_form_upload_and_errors(world, client):
    division, contest = world["division"], world["contest"]
    client.login("btc")
    url = f"/results/divisions/{division.id}/rule"
    page = client.get(url).get_data(as_text=True)
    assert "Quy tắc xét giải" in page
    # the form: first 1, second 10%, no third, consolation 2; at_least
    r = client.post_form(url, {"first_mode": "count", "first_value": "1", "second_mode": "fraction", "second_value": "0,5",
                               "third_mode": "none", "consolation_mode": "count", "consolation_value": "2",
                               "min_score": "", "max_total_fraction": "0.6", "ties": "at_least", "rounding": "floor"})
    assert r.status_code == 302
    assert svc.prize_rule(division) == {"levels": [{"name": "first", "count": 1}, {"name": "second", "fraction": 0.5},
                                                   {"name": "consolation", "count": 2}],
                                        "max_total_fraction": 0.6, "ties": "at_least", "rounding": "floor"}
    # bad form values: named, nothing saved
    r = client.post_form(url, {"first_mode": "count", "first_value": "một", "second_mode": "fraction", "second_value": "2",
                               "third_mode": "none", "consolation_mode": "none", "ties": "at_most", "rounding": "floor"})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and "levels[0].count" in page and "levels[1].fraction" in page
    assert "phải là số từ 0 đến 1" in page
    assert svc.prize_rule(division)["ties"] == "at_least"
    # an uploaded YAML file wins over the form
    from io import BytesIO

    data = {"file": (BytesIO("levels:\n  - {name: first, count: 2}\n".encode()), "rule.yaml")}
    r = client.post_form(url, data, content_type="multipart/form-data")
    assert r.status_code == 302 and svc.prize_rule(division)["levels"] == [{"name": "first", "count": 2}]
    data = {"file": (BytesIO(b'{"levels": [{"name": "first"}]}'), "rule.json")}
    r = client.post_form(url, data, content_type="multipart/form-data")
    assert "levels[0]: ghi đúng một trong hai" in r.get_data(as_text=True)
    # pasted text
    r = client.post_form(url, {"text": "levels: [{name: third, count: 3}]\nties: sometimes"})
    assert "ties: phải là một trong at_most, at_least" in r.get_data(as_text=True)
    # the preview shows reasons in Vietnamese
    page = client.get(f"/results/divisions/{division.id}/preview").get_data(as_text=True)
    assert "hạng 1, trong chỉ tiêu 2 của giải Nhất" in page
    # settings: a bad qualifier rule is named; a good one is stored
    murl = f"/results/contest/{contest.id}/manage"
    r = client.post_form(murl, {"qualifier_rule": "divisions: {B: {top: ba}}", "overall_prize_cap": "42", "appeal_hours": "48"})
    assert "divisions.B.top" in r.get_data(as_text=True)
    r = client.post_form(murl, {"qualifier_rule": "divisions: {B: {top: 3}}", "overall_prize_cap": "42", "appeal_hours": "24"})
    assert r.status_code == 302
    s = svc.result_settings(contest)
    assert s.overall_prize_cap == 42 and s.appeal_hours == 24 and s.qualifier_rule["divisions"] == {"B": {"top": 3}}
    page = client.get(murl).get_data(as_text=True)
    # rule now: first 2 (hs1 90 first; hs2/hs3 tied at 80 would make 3 > 2 -> none). top 3: hs1, hs2, hs3;
    # just below the line: hs4 (rank 4)
    assert page.count("<tr><td>B</td>") == 3  # hs1, hs2, hs3 qualified
    below = page[page.index('id="below-line"'):]
    assert "Nguyễn Văn D" in below and "hạng 4 ngoài top 3 của bảng B" in below
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "results.prize_rule")).all()


def test_appeal_rejudge_runs_the_real_judge_and_reruns_the_tally(app, tmp_path, make_contest, make_user, admit,
                                                                  redis_conn, judge_image):
    """A submission stored as WA 0 (say, judged with a broken test) is a correct program: the appeal
    rejudges it in Docker, and once judged the tally is rerun and before/after are stored."""
    import uuid

    from tests.webapp.test_pipeline import run_worker, write_problem
    from webapp.services.problem_import import import_problem

    app.config.update(JUDGE_QUEUE=f"judge-test-{uuid.uuid4().hex[:8]}")  # judge_image: built and present
    contest = make_contest()
    division = contest.divisions[0]
    problem = import_problem(division, write_problem(tmp_path / "pkg", tests=2), publish=True)
    org = make_user("btc", role="organiser")
    a, b = make_user("hsa", full_name="Đỗ An"), make_user("hsb", full_name="Vũ Bình")
    for u in (a, b):
        admit(u, division)
    scored(b, problem, 50)
    wrong = scored(a, problem, 0)
    wrong.source = "a, b = map(int, input().split())\nprint(a + b)\n"
    db.session.commit()
    svc.save_prize_rule(division, {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 1}]}, org)
    svc.lock(division, org)
    svc.publish(division, org)
    appeal = svc.file_appeal(a, division, "Bài em chạy đúng trên máy", problem_id=problem.id)
    assert appeal.before == {"score": 0, "rank": 2, "award": None, "qualified": None}
    svc.resolve_appeal(appeal, "rejudge", "Đã chấm lại bài TONG", org)
    assert appeal.status == "rejudging" and appeal.after is None
    run_worker(app)
    db.session.refresh(wrong)
    assert (wrong.status, wrong.score) == ("done", 100), wrong.compile_output
    svc.refresh_appeal(appeal)
    assert appeal.status == "resolved"
    assert appeal.after == {"score": 100, "rank": 1, "award": "first", "qualified": None}
    assert [(r["username"], r["award"]) for r in svc.division_rows(division.id)] == [("hsa", "first"), ("hsb", "second")]
    actions = [x.action for x in db.session.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert {"appeal.rejudge", "submission.rejudge", "results.retally", "appeal.resolve"} <= set(actions)


def test_creative_division_judged_elsewhere_with_external_scores_and_an_entry_appeal(world, make_user):
    """A creative division whose scores were imported (ExternalScore only): each user is an entrant;
    the appeal has no problem and is resolved by a new score."""
    contest, org = world["contest"], world["org"]
    d2 = next(d for d in contest.divisions if d.code == "D2")
    svc.save_prize_rule(d2, {"levels": [{"name": "first", "count": 1}, {"name": "consolation", "count": 1}]}, org)
    x, y, z = make_user("sx", full_name="Sáng Tạo X"), make_user("sy", full_name="Sáng Tạo Y"), make_user("sz")
    for u, score in ((x, 80), (y, 60), (z, 40)):
        db.session.add(ExternalScore(division_id=d2.id, user_id=u.id, score=score))
    db.session.commit()
    rows = svc.tally_division(d2)
    assert [(r["username"], r["award"], r["external"]) for r in rows] == [("sx", "first", True), ("sy", "consolation", True),
                                                                        ("sz", None, True)]
    svc.lock(d2, org)
    svc.publish(d2, org)
    appeal = svc.file_appeal(z, d2, "Xin chấm lại sản phẩm")
    assert appeal.problem_id is None and appeal.entry_id is None
    svc.resolve_appeal(appeal, "rescore", "Hội đồng chấm lại: 70 điểm", org, score="70")
    assert appeal.before == {"score": 40, "rank": 3, "award": None, "qualified": None}
    assert appeal.after == {"score": 70, "rank": 2, "award": "consolation", "qualified": None}
    with pytest.raises(svc.ResultsError):
        svc.resolve_appeal(svc.file_appeal(y, d2, "xin chấm lại"), "rejudge", "chấm lại", org)  # no problem to rejudge


def test_long_reasons_are_accepted_and_an_empty_score_is_refused(world, client):
    division, org = world["division"], world["org"]
    client.login("btc")
    long_reason = "Hội đồng giám khảo họp và thống nhất " * 10  # > 200 characters
    r = client.post_form(f"/results/divisions/{division.id}/adjust",
                         {"entrant": f"user:{world['users'][5].id}", "field": "score", "value": "", "reason": long_reason},
                         form_url=f"/results/divisions/{division.id}/preview")
    assert r.status_code == 302
    # an empty score is refused (flash), nothing stored
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action == "results.adjust")).all()
    r = client.post_form(f"/results/divisions/{division.id}/adjust",
                         {"entrant": f"user:{world['users'][5].id}", "field": "award", "value": "consolation",
                          "reason": long_reason}, form_url=f"/results/divisions/{division.id}/preview")
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "results.adjust")).one().details["reason"] == long_reason.strip()
    svc.lock(division, org)
    assert len(svc.division_rows(division.id)) == 6 and all(r["rank"] for r in svc.division_rows(division.id))


def test_frozen_qualifier_lists_follow_the_cross_division_cap(app, make_contest, make_user, admit):
    """Qualifiers are chosen across divisions (per-unit cap), divisions are locked one at a time: a
    division locked early must not keep a qualifier that a later-locked division's better entrant
    pushes out of the unit's cap, or the final list would break the cap."""
    from webapp.services.exports import contest_qualifier_rows

    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("C", "upper_secondary", "programming")))
    b, c = contest.divisions
    pb, pc = add_problem(b), add_problem(c, code="DEM")
    org = make_user("btc", role="organiser")
    x1 = make_user("x1", unit="Quận 1")
    y1 = make_user("y1", level="upper_secondary", grade=11, unit="Quận 1")
    y2 = make_user("y2", level="upper_secondary", grade=11, unit="Quận 3")
    admit(x1, b), admit(y1, c), admit(y2, c)
    scored(y1, pc, 90), scored(y2, pc, 50)
    svc.save_result_settings(contest, qualifier_rule={"divisions": {"B": {"top": 1}, "C": {"top": 2}},
                                                      "per_unit_cap": 1, "unit_by": "unit"},
                             overall_prize_cap=None, appeal_hours=24, by=org)
    svc.lock(c, org)  # B has no score yet: y1 (Quận 1) and y2 (Quận 3) qualify in C
    assert [(r["username"], r["qualified"]) for r in svc.division_rows(c.id)] == [("y1", True), ("y2", True)]
    scored(x1, pb, 100)  # B's winner is also from Quận 1 and B is filled first
    svc.lock(b, org)
    assert [(r["username"], r["qualified"]) for r in svc.division_rows(b.id)] == [("x1", True)]
    assert [(r["username"], r["qualified"]) for r in svc.division_rows(c.id)] == [("y1", False), ("y2", True)]
    assert [r["username"] for r in contest_qualifier_rows(contest.id)] == ["x1", "y2"]  # one per unit
    assert [r["username"] for r in svc.qualifier_rows(contest)["qualified"]] == ["x1", "y2"]
    synced = db.session.scalars(select(AuditLog).where(AuditLog.action == "results.qualifiers_synced")).all()
    assert [a.details["changed"] for a in synced] == [{"C": [f"user:{y1.id}"]}]


def test_qualified_adjustments_reach_the_qualifier_list_cli_and_api(world, client):
    contest, division, org, users = world["contest"], world["division"], world["org"], world["users"]
    svc.save_result_settings(contest, qualifier_rule={"divisions": {"B": {"top": 1}}}, overall_prize_cap=None,
                             appeal_hours=24, by=org)
    svc.adjust(division, f"user:{users[3].id}", "qualified", "true", "giải đặc cách của Ban tổ chức", org)
    svc.adjust(division, f"user:{users[0].id}", "qualified", "false", "đã dự thi vòng trên", org)
    expected = [("hs4", True)]
    assert [(r["username"], r["qualified"]) for r in svc.qualifier_rows(contest)["qualified"]] == expected
    runner = current_app.test_cli_runner()
    out = runner.invoke(args=["results", "qualifiers", "--contest", str(contest.id), "--json"])
    assert out.exit_code == 0, out.output
    assert [(d["username"], d["qualified"]) for d in json.loads(out.output) if d["qualified"]] == expected
    client.login("btc")
    token = client.post("/api/v1/token", json={"username": "btc", "password": "secret123"}).get_json()["token"]
    data = client.get(f"/api/v1/results/contests/{contest.id}/qualifiers",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [(d["username"], d["qualified"]) for d in data if d["qualified"]] == expected


def test_api_imports_external_scores_all_or_nothing(world, client, make_user, admit):
    """POST /api/v1/results/divisions/{id}/scores: the CLI's and the page's checks, over the API."""
    import io

    from tests.webapp.test_api import api

    contest, org = world["contest"], world["org"]
    c1 = make_user("c1x", level="upper_secondary", grade=10, full_name="Lê Thị Hoa")
    from webapp.models import Division
    c = Division(contest_id=contest.id, code="C1", name="Bảng C1", levels="upper_secondary", content="programming")
    db.session.add(c)
    db.session.commit()
    admit(c1, c)
    call = api(client, "btc")
    url = f"/api/v1/results/divisions/{c.id}/scores"
    bad = "username,score\nc1x,-3\nnobody,5\n".encode()  # a negative score, an unknown account
    r = call("POST", url, data={"file": (io.BytesIO(bad), "diem.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422
    assert [(e["row"], e["column"]) for e in r.get_json()["errors"]] == [(2, "score"), (3, "username")]
    assert db.session.scalars(select(ExternalScore)).all() == []  # nothing imported
    good = "username,score\nc1x,87.5\n".encode()
    r = call("POST", url, data={"file": (io.BytesIO(good), "diem.csv"), "reason": "chấm ở Sở"},
             content_type="multipart/form-data")
    assert r.status_code == 200 and r.get_json() == {"division": "C1", "imported": 1, "replaced": 0}
    assert [(s.user_id, s.score) for s in db.session.scalars(select(ExternalScore))] == [(c1.id, 87.5)]
    assert [(d["username"], d["score"]) for d in call("GET", f"/api/v1/results/divisions/{c.id}/tally").get_json()] == [("c1x", 87.5)]
    assert call("POST", url, data={}, content_type="multipart/form-data").status_code == 422
    assert api(client, "hs1")("POST", url, data={"file": (io.BytesIO(good), "d.csv")},
                              content_type="multipart/form-data").status_code == 403
    svc.lock(c, org)
    r = call("POST", url, data={"file": (io.BytesIO(good), "diem.csv")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "khoá" in r.get_json()["error"]


def test_preview_shows_an_empty_level_and_the_public_page_lists_qualifiers(world, client):
    """A level whose fraction rounds to 0 is shown with 0 (not an error); after publishing, the public
    results page names the qualifiers of the contest's rule."""
    division, contest, org = world["division"], world["contest"], world["org"]
    svc.save_prize_rule(division, {"levels": [{"name": "first", "count": 1}, {"name": "second", "count": 2},
                                              {"name": "third", "count": 2},
                                              {"name": "consolation", "fraction": 0.1}]}, org)  # floor(0.6) = 0
    svc.save_result_settings(contest, qualifier_rule={"divisions": {"B": {"top": 1}}}, overall_prize_cap=None,
                             appeal_hours=24, by=org)
    client.login("btc")
    page = client.get(f"/results/divisions/{division.id}/preview").get_data(as_text=True)
    counts = dict(re.findall(r'id="count-(\w+)">(\d+)<', page))
    assert counts == {"first": "1", "second": "2", "third": "2", "consolation": "0"}
    svc.lock(division, org)
    svc.publish(division, org)
    client.get("/auth/logout")
    public = client.get(f"/results/contest/{contest.id}").get_data(as_text=True)
    listed = re.search(r'<ul class="qualifiers">(.*?)</ul>', public, re.S).group(1)
    assert re.findall(r"<li>([^·<]+?) ·", listed) == ["Nguyễn Văn A"]
