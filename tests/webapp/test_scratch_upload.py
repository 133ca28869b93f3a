"""A primary pupil submits a Scratch 3 project (.sb3) on the problem page and sees per-test verdicts;
bad .sb3 files are refused with a message that says what to do."""
from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from tests.judge.sb3 import Project, extension_block, when_flag
from webapp.extensions import db
from webapp.models import Submission
from webapp.services.problem_import import import_problem
from webapp.services.submissions import judge_queue

ROOT = Path(__file__).resolve().parents[2]
CONGDON = ROOT / "problems" / "congdon"


@pytest.fixture
def scratch_world(app, client, make_user, make_contest, admit, redis_conn):
    contest = make_contest()
    division = contest.divisions[0]
    division.languages = "scratch,python3"
    problem = import_problem(division, CONGDON, publish=True)
    pupil = make_user("be_na", level="primary", grade=4)
    admit(pupil, division)
    db.session.commit()
    app.config.update(SUBMIT_RATE_COUNT=100, JUDGE_QUEUE=f"judge-test-{uuid.uuid4().hex[:8]}")
    r = client.login(pupil.username)
    assert r.status_code == 302
    return problem


def upload(client, problem, data: bytes, filename: str, language: str = "python3"):
    return client.post_form(f"/contests/problems/{problem.id}",
                            {"language": language, "source": "", "file": (io.BytesIO(data), filename)},
                            content_type="multipart/form-data")


def count() -> int:
    return db.session.scalar(select(func.count(Submission.id)))


@pytest.mark.docker
def test_pupil_uploads_sb3_and_sees_per_test_verdicts(app, client, scratch_world, judge_image):
    problem = scratch_world
    page = client.get(f"/contests/problems/{problem.id}").get_data(as_text=True)
    assert "Nộp bài bằng Scratch 3" in page and "read_token" in page and ".sb3" in page
    data = (CONGDON / "submissions" / "accepted" / "congdon.sb3").read_bytes()
    # the select still says Python: a .sb3 is judged as Scratch anyway
    r = upload(client, problem, data, "Cộng dồn.sb3")
    assert r.status_code == 302, r.get_data(as_text=True)
    sub = db.session.scalar(select(Submission))
    assert sub.language == "scratch" and sub.source.startswith('{"targets"')  # project.json, no media
    conn = judge_queue().connection
    SimpleWorker([Queue(app.config["JUDGE_QUEUE"], connection=conn)], connection=conn).work(
        burst=True, with_scheduler=False)
    db.session.expire_all()
    result = client.get(f"/contests/submissions/{sub.id}.json").get_json()
    assert result["done"] and result["verdict"] == "AC", result
    assert [t["verdict"] for t in result["tests"]] == ["AC"] * 5
    assert result["score"] == result["max_score"]


@pytest.mark.parametrize("data, filename, message", [
    (b"PK\x03\x04 not a zip at all", "bai.sb3", "không mở được như một tệp nén"),
    (b"", "rong.sb3", "không mở được như một tệp nén"),
])
def test_corrupt_sb3_refused_with_a_message(client, scratch_world, data, filename, message):
    r = upload(client, scratch_world, data, filename)
    assert r.status_code == 422
    assert message in r.get_data(as_text=True)
    assert count() == 0


def test_extension_refused_naming_it(client, scratch_world):
    p = Project()
    p.sprite.script(when_flag(), extension_block("music_playDrumForBeats"), extension_block("pen_clear"))
    r = upload(client, scratch_world, p.sb3(), "nhac.sb3")
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "Dự án dùng tiện ích music nên không chấm được" in page
    assert count() == 0


def test_size_limit_is_a_setting(app, client, scratch_world):
    data = (CONGDON / "submissions" / "accepted" / "congdon.sb3").read_bytes()
    app.config["SCRATCH_MAX_BYTES"] = len(data) - 1
    r = upload(client, scratch_world, data, "congdon.sb3")
    assert r.status_code == 422
    assert f"tối đa {(len(data) - 1) // 1024} KiB" in r.get_data(as_text=True)
    app.config["SCRATCH_MAX_BYTES"] = len(data)
    r = upload(client, scratch_world, data, "congdon.sb3")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert count() == 1


def test_pasted_project_json_is_checked_too(client, scratch_world):
    """The text box (or the API) with language Scratch: a project.json is checked the same way."""
    r = client.post_form(f"/contests/problems/{scratch_world.id}",
                         {"language": "scratch", "source": "print(1)"}, content_type="multipart/form-data")
    assert r.status_code == 422 and "không phải dự án Scratch 3 (.sb3) hợp lệ" in r.get_data(as_text=True)
    good = Project()
    good.sprite.script(when_flag())
    r = client.post_form(f"/contests/problems/{scratch_world.id}",
                         {"language": "scratch", "source": good.json()}, content_type="multipart/form-data")
    assert r.status_code == 302 and count() == 1


def test_scratch_is_a_default_language_of_primary_divisions_only(app):
    from webapp.services.contests import default_languages

    assert default_languages(["primary"], "programming").split(",")[-1] == "scratch"
    assert "scratch" in default_languages(["primary", "lower_secondary"], "programming").split(",")
    assert "scratch" not in default_languages(["lower_secondary"], "programming").split(",")
    assert default_languages(["primary"], "creative") == ""


def padded_sb3(total: int) -> bytes:
    """A valid .sb3 of exactly `total` bytes: the builder's project plus a stored (uncompressed)
    sound file of random bytes as padding, as a project with a long recording would be."""
    import os
    import zipfile

    p = Project()
    p.sprite.script(when_flag())
    base = p.sb3()

    def build(pad: int) -> bytes:
        buf = io.BytesIO(base)
        with zipfile.ZipFile(buf, "a") as z:
            z.writestr(zipfile.ZipInfo("0123456789abcdef0123456789abcdef.wav", (2026, 1, 1, 0, 0, 0)),
                       os.urandom(pad), zipfile.ZIP_STORED)
        return buf.getvalue()

    overhead = len(build(0))
    data = build(total - overhead)
    assert len(data) == total
    return data


def upload_big(client, problem, data: bytes, filename: str):
    """upload() for files over 500 KiB: the body is encoded in memory (the test client would spool
    it to a temporary file it never closes)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    url = f"/contests/problems/{problem.id}"
    boundary, body = encode_multipart({"language": "python3", "source": "", "csrf_token": client.csrf_token(url),
                                       "file": FileStorage(io.BytesIO(data), filename)})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_division_scratch_limit_set_by_organiser(app, client, make_user, make_contest, admit, redis_conn):
    """The organiser sets 1 MiB on bảng A's edit page: a 1.5 MiB .sb3 is refused there (the message
    names 1 MiB), while bảng A2 (no setting) still takes it under the site's 5 MiB."""
    contest = make_contest(divisions=(("A", "primary", "programming"), ("A2", "primary", "programming")))
    a, a2 = contest.divisions
    for d in (a, a2):
        d.languages = "scratch,python3"
    pa, pa2 = import_problem(a, CONGDON, publish=True), import_problem(a2, CONGDON, publish=True)
    pupil, pupil2 = make_user("be_na", level="primary", grade=4), make_user("be_bo", level="primary", grade=4)
    admit(pupil, a)
    admit(pupil2, a2)
    make_user("btc", role="organiser")
    app.config.update(SUBMIT_RATE_COUNT=100, JUDGE_QUEUE=f"judge-test-{uuid.uuid4().hex[:8]}",
                      SCRATCH_MAX_BYTES=5 << 20)

    client.login("btc")
    url = f"/contests/{contest.id}/divisions/{a.id}/edit"
    form = {"code": "A", "name": "Bảng A", "levels": ["primary"], "content": "programming",
            "languages": ["python3", "scratch"]}
    page = client.get(url).get_data(as_text=True)
    assert "Dung lượng tối đa của dự án Scratch (MiB)" in page and "mức chung của hệ thống (5 MiB)" in page
    r = client.post_form(url, {**form, "scratch_max_mib": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)
    db.session.refresh(a)
    assert a.scratch_max_mib == 1 and a2.scratch_max_mib is None
    assert 'value="1"' in client.get(url).get_data(as_text=True)  # shown back on the edit page
    client.get("/auth/logout")

    data = padded_sb3(1536 * 1024)  # 1.5 MiB
    client.login("be_na")
    assert "Tệp tối đa 1 MiB." in client.get(f"/contests/problems/{pa.id}").get_data(as_text=True)
    r = upload_big(client, pa, data, "to.sb3")
    assert r.status_code == 422
    assert "Tệp .sb3 nặng 1536 KiB, tối đa 1 MiB." in r.get_data(as_text=True)
    assert count() == 0
    client.get("/auth/logout")

    client.login("be_bo")
    assert "Tệp tối đa 5 MiB." in client.get(f"/contests/problems/{pa2.id}").get_data(as_text=True)
    r = upload_big(client, pa2, data, "to.sb3")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert count() == 1

    # just under the division's limit is accepted in bảng A too
    client.get("/auth/logout")
    client.login("be_na")
    r = upload_big(client, pa, padded_sb3(1 << 20), "vua.sb3")
    assert r.status_code == 302, r.get_data(as_text=True)
    assert count() == 2


@pytest.mark.parametrize("value", ["0", "51", "abc", "1.5", "-2"])
def test_bad_division_scratch_limit_refused_naming_the_field(client, make_user, make_contest, value):
    contest = make_contest(divisions=(("A", "primary", "programming"),))
    a = contest.divisions[0]
    a.scratch_max_mib = 3
    db.session.commit()
    make_user("btc", role="organiser")
    client.login("btc")
    r = client.post_form(f"/contests/{contest.id}/divisions/{a.id}/edit", {
        "code": "A", "name": "Bảng A mới", "levels": ["primary"], "content": "programming",
        "languages": ["scratch"], "scratch_max_mib": value})
    assert r.status_code == 422
    page = r.get_data(as_text=True)
    assert "“Dung lượng tối đa của dự án Scratch (MiB)” phải là một số nguyên từ 1 đến 50" in page
    assert f"(bạn nhập “{value}”)" in page
    db.session.expire_all()
    assert (a.scratch_max_mib, a.name) == (3, "Bảng A")  # nothing saved
