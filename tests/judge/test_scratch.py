"""Scratch 3: the .sb3 upload checks and the I/O convention, judged with the real scratch-vm in the
judge image (projects built from Python with tests/judge/sb3.py)."""
from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest

from judge import result as R
from judge.problem import Checker
from judge.languages import (LANGUAGES, SCRATCH_MEMORY_ALLOWANCE_MIB, get_language, language_for_file, source_of_file,
                             time_factor)
from judge.scratch import (MAX_SB3_BYTES, ScratchError, extensions_used, project_from_json,
                           project_from_upload)
from tests.judge import sb3
from tests.judge.sb3 import (Procedure, Project, add, add_to_list, answer, ask, broadcast, change_var,
                             create_clone, delete_clone, extension_block, forever, item_of, join,
                             length_of, pen_down, read_token, repeat, say, say_for_secs, set_var,
                             stop_all, think, when_clone_starts, when_flag, when_received)

from .conftest import ROOT


def sum_project() -> Project:
    p = Project()
    a, b = p.variable("a"), p.variable("b")
    p.sprite.script(when_flag(), ask("Số thứ nhất?"), set_var(a, answer()), ask("Số thứ hai?"),
                    set_var(b, answer()), say(add(a, b)))
    return p


def source(p: Project) -> str:
    return project_from_upload(p.sb3())


# -- upload checks (no container) ---------------------------------------------------------------
def test_sb3_gives_its_project_json_without_media():
    p = sum_project()
    stored = project_from_upload(p.sb3())
    assert json.loads(stored) == p.to_dict()
    assert sb3.BLANK_MD5 not in stored.replace(f'"{sb3.BLANK_MD5}', "")  # only as a reference
    # a raw project.json is taken as well
    assert json.loads(project_from_upload(p.json().encode())) == p.to_dict()


@pytest.mark.parametrize("data, code", [
    (b"PK\x03\x04 this is not really a zip", "not_zip"),
    (b"\x89PNG\r\n\x1a\n a picture", "not_zip"),
    (b"", "not_zip"),
])
def test_corrupt_files_are_refused_with_a_code(data, code):
    with pytest.raises(ScratchError) as exc:
        project_from_upload(data)
    assert exc.value.code == code
    assert "zip" in exc.value.message()


def test_truncated_sb3_is_refused():
    data = sum_project().sb3()
    with pytest.raises(ScratchError) as exc:
        project_from_upload(data[: len(data) // 2])
    assert exc.value.code == "not_zip"


def zipped(**members: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in members.items():
            z.writestr(name.replace("__", "/"), content)
    return buf.getvalue()


def test_zip_without_project_or_with_bad_json():
    with pytest.raises(ScratchError) as exc:
        project_from_upload(zipped(readme_txt=b"hello"))
    assert exc.value.code == "no_project"
    with pytest.raises(ScratchError) as exc:
        project_from_upload(zipped(**{"project.json": b'{"targets": [1, 2'}))
    assert exc.value.code == "bad_json" and "project.json is not valid JSON" in str(exc.value)
    with pytest.raises(ScratchError) as exc:
        project_from_upload(zipped(**{"project.json": b'{"objName": "Stage", "children": []}'}))
    assert exc.value.code == "not_scratch3" and "Scratch 2" in str(exc.value)
    with pytest.raises(ScratchError) as exc:
        project_from_json('{"targets": [{"isStage": false, "name": "Sprite1"}]}')
    assert exc.value.code == "not_scratch3" and "no stage" in str(exc.value)


def test_size_limit_is_a_parameter():
    data = sum_project().sb3()
    assert project_from_upload(data, max_bytes=len(data))
    with pytest.raises(ScratchError) as exc:
        project_from_upload(data, max_bytes=len(data) - 1)
    assert exc.value.code == "too_large" and exc.value.params == {"size": len(data), "limit": len(data) - 1}
    big = zipped(**{"project.json": sum_project().json().encode(), "big.wav": bytes(MAX_SB3_BYTES)})
    with pytest.raises(ScratchError) as exc:
        project_from_upload(big)  # default: 5 MiB
    assert exc.value.code == "too_large"


def test_extensions_other_than_pen_are_named():
    p = sum_project()
    p.sprite.script(when_flag(), pen_down())
    assert extensions_used(p.to_dict()) == ["pen"]
    assert project_from_upload(p.sb3())  # pen is allowed
    p.sprite.script(when_flag(), extension_block("music_playDrumForBeats"),
                    extension_block("videoSensing_videoToggle"))
    with pytest.raises(ScratchError) as exc:
        project_from_upload(p.sb3())
    assert exc.value.code == "extension"
    assert exc.value.params == {"extensions": "music, videoSensing"}
    assert "music, videoSensing" in exc.value.message()


def test_language_registry_entry():
    lang = get_language("scratch")
    assert lang.name == "Scratch 3" and language_for_file("bai1.SB3") is lang
    assert lang.time_multiplier == 2.0
    p = sum_project()
    assert json.loads(source_of_file(lang, p.sb3())) == p.to_dict()
    assert source_of_file(LANGUAGES["python3"], b"print(1)\n") == "print(1)\n"


def test_time_factor_is_a_setting(monkeypatch):
    monkeypatch.setenv("JUDGE_TIME_FACTOR_SCRATCH", "3")
    assert time_factor("scratch", 2.0) == 3.0
    monkeypatch.setenv("JUDGE_TIME_FACTOR_SCRATCH", "zero")
    assert time_factor("scratch", 2.0) == 2.0
    monkeypatch.setenv("JUDGE_TIME_FACTOR_SCRATCH", "-1")
    assert time_factor("scratch", 2.0) == 2.0


# -- judged in the sandbox ----------------------------------------------------------------------
docker = pytest.mark.docker


def verdicts(res) -> list[str]:
    return [t.verdict for t in res.tests]


@docker
def test_two_numbers_summed(judge, make_problem):
    problem = make_problem([("3\n4\n", "7\n"), ("-5\n2.5\n", "-2.5\n"), ("10\n20\n", "31\n")])
    res = judge(problem, source(sum_project()), "scratch")
    assert verdicts(res) == ["AC", "AC", "WA"] and res.verdict == "WA"
    assert all(t.time > 0 and t.memory > 0 for t in res.tests)


@docker
def test_node_itself_is_not_charged_to_a_small_memory_limit(judge, make_problem):
    """Node with the VM resident uses ~65 MiB before the project runs: a 64 MiB problem still
    accepts a Scratch a+b (allowance of judge.languages.SCRATCH_MEMORY_ALLOWANCE_MIB, as for Java)."""
    problem = make_problem([("3\n4\n", "7\n")], memory_limit=64)
    res = judge(problem, source(sum_project()), "scratch")
    assert res.verdict == "AC", res.to_dict()
    assert 16 * 1024 < res.tests[0].memory < (64 + SCRATCH_MEMORY_ALLOWANCE_MIB) * 1024


@docker
def test_loop_over_n_lines_reads_fast(judge, make_problem):
    """N, then N lines: their sum. 1,000 lines are read well within the limit (no frame pacing)."""
    p = Project()
    n, s = p.variable("n"), p.variable("s")
    p.sprite.script(when_flag(), ask(), set_var(n, answer()), set_var(s, 0),
                    repeat(n, ask(), change_var(s, answer())), say(s))
    big = "1000\n" + "".join(f"{i}\n" for i in range(1, 1001))
    problem = make_problem([("3\n1\n2\n3\n", "6\n"), (big, "500500\n")], time_limit=1.0)
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "AC", res.to_dict()
    # 1,000 asks at 1/60 s each would be 16.7 s; the run stays far under the 2 s (1 s × 2) limit
    assert res.tests[1].time < 1.0


@docker
def test_read_token_and_lines(judge, make_problem):
    """`read_token` takes whitespace-separated tokens; a line read after a line's last token reads
    the next line."""
    p = Project()
    a, b, rest = p.variable("a"), p.variable("b"), p.variable("rest")
    p.sprite.script(when_flag(), read_token(), set_var(a, answer()), read_token(),
                    set_var(b, answer()), ask(), set_var(rest, answer()),
                    say(join(add(a, b), join(" ", rest))))
    problem = make_problem([("  3   4 \nxin chào\n", "7 xin chào\n"),
                            ("3\n\n   4\nhết\n", "7 hết\n")])
    res = judge(problem, source(p), "scratch")
    assert verdicts(res) == ["AC", "AC"], res.to_dict()


@docker
def test_lists(judge, make_problem):
    """Read N numbers into a list, print them in reverse order."""
    p = Project()
    lst = p.list("a")
    i = p.variable("i")
    p.sprite.script(when_flag(), read_token(),
                    repeat(answer(), read_token(), add_to_list(lst, answer())),
                    set_var(i, length_of(lst)),
                    repeat(length_of(lst), say(item_of(lst, i)), change_var(i, -1)))
    problem = make_problem([("4\n10 20 30 40\n", "40\n30\n20\n10\n")])
    assert judge(problem, source(p), "scratch").verdict == "AC"


@docker
def test_custom_block_with_and_without_screen_refresh(judge, make_problem):
    p = Project()
    total = p.variable("total")
    tong = Procedure("tong", ("x", "y"))
    lap = Procedure("lap", ("k",), warp=True)  # "run without screen refresh"
    p.sprite.script(tong.define(), set_var(total, add(tong.arg("x"), tong.arg("y"))), say(total))
    p.sprite.script(lap.define(), repeat(lap.arg("k"), change_var(total, 1)), say(total))
    p.sprite.script(when_flag(), ask(), tong.call(answer(), 5), lap.call(3))
    problem = make_problem([("1\n", "6\n9\n"), ("-5\n", "0\n3\n")])
    res = judge(problem, source(p), "scratch")
    assert verdicts(res) == ["AC", "AC"], res.to_dict()


@docker
def test_broadcast_and_wait(judge, make_problem):
    p = Project()
    other = p.add_sprite("Mèo")
    x = p.variable("x")
    p.sprite.script(when_flag(), ask(), set_var(x, answer()), broadcast(p, "nhân đôi", and_wait=True),
                    say(x))
    other.script(when_received(p, "nhân đôi"), say("đang nhân"), set_var(x, add(x, x)))
    problem = make_problem([("21\n", "đang nhân\n42\n")])
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "AC", res.to_dict()


@docker
def test_clones(judge, make_problem):
    p = Project()
    k = p.sprite.variable("k")  # "for this sprite only": each clone has its own copy
    p.sprite.script(when_flag(), set_var(k, 0),
                    repeat(3, change_var(k, 1), create_clone()), say("xong"))
    p.sprite.script(when_clone_starts(), say(join("bản sao ", k)), delete_clone())
    problem = make_problem([("", "bản sao 1\nbản sao 2\nbản sao 3\nxong\n")])
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "AC", res.to_dict()


@docker
def test_say_and_think(judge, make_problem):
    """`think` writes without a newline, `say` adds one, an empty `say` writes nothing."""
    p = Project()
    p.sprite.script(when_flag(), think("a"), think(1.5), say(""), say("c"), think(""), say("d"))
    problem = make_problem([("", "a1.5c\nd\n")], checker=Checker(kind="exact"))
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "AC", res.to_dict()


@docker
def test_asking_past_the_input_is_re(judge, make_problem):
    p = Project()
    p.sprite.script(when_flag(), say("một"), ask(), ask(), say("hai"))
    problem = make_problem([("chỉ một dòng\n", "một\nhai\n"), ("1\n2\n", "một\nhai\n")])
    res = judge(problem, source(p), "scratch")
    assert verdicts(res) == ["RE", "AC"], res.to_dict()
    assert res.tests[0].message == "exit code 3"


@docker
def test_read_token_past_the_input_is_re(judge, make_problem):
    p = Project()
    p.sprite.script(when_flag(), read_token(), say(answer()), read_token(), say(answer()))
    problem = make_problem([("  7  \n", "7\n8\n"), ("7 8\n", "7\n8\n")])
    res = judge(problem, source(p), "scratch")
    assert verdicts(res) == ["RE", "AC"], res.to_dict()
    assert res.tests[0].message == "exit code 3"


@docker
def test_stop_all_ends_every_script_and_say_for_secs_does_not_wait(judge, make_problem):
    """`stop all` ends the project at once, a `forever` in another script included; `say … for 2
    seconds` writes its line and does not wait (the run stays far under the 2 s it would take)."""
    p = Project()
    n = p.variable("n")
    p.sprite.script(when_flag(), forever(change_var(n, 1)))
    p.sprite.script(when_flag(), say_for_secs("chào", 2), say("hết"), stop_all(), say("không in"))
    problem = make_problem([("", "chào\nhết\n")], time_limit=1.0)
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "AC", res.to_dict()
    assert res.tests[0].wall_time < 1.5


@docker
def test_forever_is_tle(judge, make_problem):
    p = Project()
    n = p.variable("n")
    p.sprite.script(when_flag(), forever(change_var(n, 1)))
    problem = make_problem([("", "0\n")], time_limit=0.5)
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "TLE", res.to_dict()
    assert "over 1 s" in res.tests[0].message or "wall time" in res.tests[0].message  # 0.5 s × 2


@docker
def test_runaway_list_is_mle(judge, make_problem):
    """Items that double in size (16 × 2^24 characters at the end, the longest below V8's
    string limit): the list's memory passes the limit, the runner stops it."""
    p = Project()
    lst = p.list("l")
    s = p.variable("s", "abcdefghijklmnop")
    p.sprite.script(when_flag(), repeat(24, add_to_list(lst, join(s, s)), set_var(s, item_of(lst, length_of(lst)))),
                    say(sb3.Block("operator_contains", {"STRING1": s, "STRING2": "z"})))
    problem = make_problem([("", "false\n")], memory_limit=160, time_limit=5.0)
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "MLE", res.to_dict()


@docker
def test_extension_is_ce_naming_it(judge, make_problem):
    """Judging a raw project.json (the web refuses it earlier) still gives a CE that names it."""
    p = sum_project()
    p.sprite.script(when_flag(), extension_block("music_playDrumForBeats"))
    problem = make_problem([("1\n2\n", "3\n")])
    res = judge(problem, p.json(), "scratch")
    assert res.verdict == R.CE and "extension not allowed: music" in res.compile_output
    res = judge(problem, '{"targets": "nope"}', "scratch")
    assert res.verdict == R.CE and "cannot load the project" in res.compile_output


@docker
def test_state_does_not_leak_between_tests(judge, make_problem):
    """Variables, lists and sprite positions start from the saved project in every test."""
    p = Project()
    c = p.variable("c", 0)
    lst = p.list("l", ["saved"])
    p.sprite.script(when_flag(), change_var(c, 1), add_to_list(lst, answer()),
                    sb3.Block("motion_changexby", {"DX": 10}),
                    say(join(c, join(" ", join(length_of(lst), join(" ", sb3.Block("motion_xposition")))))))
    problem = make_problem([("", "1 2 10\n")] * 3)
    res = judge(problem, source(p), "scratch")
    assert verdicts(res) == ["AC", "AC", "AC"], res.to_dict()


@docker
def test_cli_runs_an_sb3(sandbox_env, tmp_path):
    problem = ROOT / "problems" / "congdon"  # the demo problem of bảng A
    sb3_file = tmp_path / "bai.sb3"
    sb3_file.write_bytes((problem / "submissions" / "accepted" / "congdon.sb3").read_bytes())
    out = subprocess.run([sys.executable, "-m", "judge", "run", str(problem), str(sb3_file),
                          "--language", "scratch", "--json"], capture_output=True, text=True,
                         cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verdict"] == "AC" and all(t["verdict"] == "AC" for t in data["tests"])
    bad = tmp_path / "hong.sb3"
    bad.write_bytes(b"PK\x03\x04 broken")
    out = subprocess.run([sys.executable, "-m", "judge", "run", str(problem), str(bad), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verdict"] == "CE" and "not a zip" in data["compile_output"]


@docker
def test_endless_output_is_ole(judge, make_problem):
    p = Project()
    p.sprite.script(when_flag(), forever(say("Xin chào các bạn nhỏ!")))
    problem = make_problem([("", "x\n")], output_limit=1.0, time_limit=2.0)
    res = judge(problem, source(p), "scratch")
    assert res.verdict == "OLE", res.to_dict()


@docker
def test_verify_runs_the_demo_packages_sb3_solutions(sandbox_env):
    """`judge verify` on problems/congdon: accepted AC, wrong answer WA, the endless loop TLE."""
    out = subprocess.run([sys.executable, "-m", "judge", "verify", str(ROOT / "problems" / "congdon"), "--json"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    report = json.loads(out.stdout)
    got = {s["file"]: (s["status"], s["verdict"]) for s in report["submissions"]}
    assert got == {"accepted/congdon.sb3": ("ok", "AC"), "wrong_answer/chi_tong_cuoi.sb3": ("ok", "WA"),
                   "time_limit_exceeded/lap_lien_tuc.sb3": ("ok", "TLE")}
