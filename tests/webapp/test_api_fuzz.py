"""/api/v1 fuzzed from its own OpenAPI document (schemathesis over the WSGI app, no server): for every
operation, as a student and as an organiser, generated requests, valid and invalid by the document,
never get a 5xx, and every answer conforms to the document (a documented status, the documented
content type, headers and body schema).

The world has ids 1 and 2 of each kind (contest, division, problem, submission, creative entry); two
cases in three have their ids pointed at those rows, so the fuzz reaches the answers of real rows
too. The judge joins for the /creative operations (entry 1 is assigned to them). A fresh token is
made for every request: DELETE /token revokes the one it is sent with. Bounded by MAX_EXAMPLES per
operation and role, with no example database, so a run is repeatable and short."""
from __future__ import annotations

import hashlib
import os
import secrets
import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

from webapp.api.openapi import build_document
from webapp.extensions import db
from webapp.models import ApiToken, JudgeAssignment, Problem, Submission

from tests.conftest import ROOT
from tests.webapp.creative_factories import make_entry

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "10"))  # per operation and role; raise it to dig deeper
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
OPERATIONS = sorted(
    (op["operationId"], method.upper(), path)
    for path, item in build_document()["paths"].items() for method, op in item.items()
)


@pytest.fixture
def world(app, make_user, make_contest, admit, redis_conn):
    """A running contest: programming division B with a published demo problem and a hidden one, two
    admitted students with a judged submission each, a creative division; an organiser and a judge."""
    from webapp.services.problem_import import import_problem

    app.config.update(JUDGE_QUEUE=f"judge-test-{uuid.uuid4().hex[:8]}", SUBMIT_RATE_COUNT=1000)
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative")))
    division, creative = contest.divisions
    problem = import_problem(division, ROOT / "problems" / "daycon", publish=True)
    db.session.add(Problem(division=division, code="AN", title_vi="Bài ẩn", package_path="/nonexistent",
                           format="themis", published=False, ordinal=1))
    users = {"student": make_user("hs_mot"), "rival": make_user("hs_hai"),
             "organiser": make_user("btc_mot", role="organiser"), "judge": make_user("gk_mot", role="judge")}
    for role in ("student", "rival"):
        admit(users[role], division)
        db.session.add(Submission(user_id=users[role].id, problem_id=problem.id, language="python3",
                                  source="print(1)\n", status="done", verdict="WA", score=0.0, max_score=100.0))
    db.session.commit()
    for members in ([users["student"]], [users["rival"]]):  # entries 1 and 2; the judge marks entry 1
        make_entry(creative, members)
    db.session.add(JudgeAssignment(entry_id=1, judge_id=users["judge"].id, round=1, manual=True))
    db.session.commit()
    return users


def aim_at_world(case, pick: int) -> None:
    """Point the case's ids (path, query, JSON body) at rows of the world, so the fuzz reaches the
    answers of real rows (200, 201, 403 of another's) and not only 404s."""
    for params in (case.path_parameters, case.query):
        for name in list(params or {}):
            if name.endswith("_id"):
                params[name] = pick
    if isinstance(case.body, dict) and "problem_id" in case.body:
        case.body["problem_id"] = pick


def fresh_token(user) -> str:
    token = secrets.token_urlsafe(16)
    db.session.add(ApiToken(user_id=user.id, token_hash=hashlib.sha256(token.encode()).hexdigest()))
    db.session.commit()
    return token


@pytest.mark.parametrize("operation_id,method,path", OPERATIONS)
def test_api_conforms_to_its_openapi_document(app, world, operation_id, method, path):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_id(operation_id)
    roles = ("student", "organiser", "judge") if path.startswith("/creative") else ("student", "organiser")
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    calls = []
    for role in roles:
        user = world[role]

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy, aim=st.sampled_from((None, 1, 2)))
        def check(case, aim):
            if aim is not None:
                aim_at_world(case, aim)
            response = case.call_and_validate(headers={"Authorization": f"Bearer {fresh_token(user)}"}, checks=CHECKS)
            calls.append(response.status_code)
            db.session.rollback()  # drop what the request left in this thread's session

        check()
    # call_and_validate raised on any 5xx or any answer the document does not describe; here: it ran
    assert calls and all(code < 500 for code in calls), calls
