"""No contestant input may make the judge fault: every source gets a verdict from the normal set
(CE at worst), as a JSON-serialisable result, and the sandbox keeps working."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from judge import result as R
from judge.judging import MAX_SOURCE_BYTES
from judge.languages import LANGUAGES
from judge.sandbox import (COMPILER_UID, REQUEST_MAX, RequestRefused, RunLimits, Sandbox)

pytestmark = pytest.mark.docker

NORMAL = set(R.VERDICTS) - {R.SE}
PY_AB = "a, b = map(int, input().split())\nprint(a + b)\n"


def judged(res) -> dict:
    """The result as the worker stores it: JSON, with a verdict of the normal set."""
    data = json.loads(json.dumps(res.to_dict(), ensure_ascii=False))
    assert data["verdict"] in NORMAL, data
    for t in data.get("tests") or []:
        assert t["verdict"] in NORMAL | {R.SK}, data
    return data


@pytest.mark.parametrize("length", [250, 40_000])
def test_java_class_name_longer_than_a_file_name_is_ce(judge, aplusb, length):
    name = "A" * length
    src = f"public class {name} {{ public static void main(String[] a) {{ }} }}\n"
    data = judged(judge(aplusb, src, "java"))
    assert data["verdict"] == "CE" and "class name" in data["compile_output"], data


def test_java_class_name_at_the_limit_compiles(judge, aplusb):
    name = "A" * 249  # A…A.class = 255 bytes
    src = ("import java.util.*;\n"
           f"public class {name} {{ public static void main(String[] x) {{ Scanner s = new Scanner(System.in);"
           " System.out.println(s.nextLong() + s.nextLong()); } }\n")
    data = judged(judge(aplusb, src, "java", time_limit=3))
    assert data["verdict"] == "AC", data


def test_request_over_the_protocol_limit_is_refused_and_the_runner_stays_in_step(sandbox_env):
    with Sandbox(memory_mib=256) as box:
        with pytest.raises(RequestRefused):
            box.execute(["/bin/true", "x" * REQUEST_MAX], uid=COMPILER_UID, cwd="/prog",
                        limits=RunLimits(cpu=1, wall=2))
        with pytest.raises(RequestRefused):
            box.execute(["/bin/echo", "a\tb"], uid=COMPILER_UID, cwd="/prog",
                        limits=RunLimits(cpu=1, wall=2))
        # a line longer than the runner's buffer, written past the host's own check: one error
        # reply, then the next request is answered normally
        os.write(box._req, b"uid=1501\t" + b"x" * (REQUEST_MAX + 10) + b"\n")
        assert box._read_line(10) == {"ok": False, "error": "request too long"}
        out = box.execute(["/bin/true"], uid=COMPILER_UID, cwd="/prog", limits=RunLimits(cpu=1, wall=2))
        assert out.exited and out.exit_code == 0


def test_source_over_the_size_limit_is_ce(judge, aplusb):
    data = judged(judge(aplusb, "x" * (MAX_SOURCE_BYTES + 1), "cpp"))
    assert data["verdict"] == "CE" and "over the limit" in data["compile_output"]


ADVERSARIAL = [
    "",
    "\x00" * 1000,
    "int main(){}\x00garbage",
    bytes(range(256)).decode("latin-1") * 4,
    b"\xff\xfe\x00p\x00r\x00i\x00n\x00t\x00".decode("utf-8", "surrogateescape"),  # UTF-16, lone bytes
    "\ufeff" + PY_AB,  # a byte-order mark
    "public class \u0110\u1ec1Thi { public static void main(String[] a) { } }",  # Vietnamese name
    "x" * 200_000 + "\n",  # one huge line
    "\n" * 100_000,
    "\t--\tuid=0\n" * 50,  # looks like the runner's protocol
]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
@settings(max_examples=4, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(source=st.one_of(st.text(max_size=300), st.binary(max_size=300).map(
    lambda b: b.decode("utf-8", "surrogateescape"))))
@example(source=ADVERSARIAL[0])
@example(source=ADVERSARIAL[1])
@example(source=ADVERSARIAL[2])
@example(source=ADVERSARIAL[3])
@example(source=ADVERSARIAL[4])
@example(source=ADVERSARIAL[5])
@example(source=ADVERSARIAL[6])
@example(source=ADVERSARIAL[7])
@example(source=ADVERSARIAL[8])
@example(source=ADVERSARIAL[9])
def test_any_source_gets_a_normal_verdict(judge, aplusb, language, source):
    data = judged(judge(aplusb, source, language, time_limit=0.5))
    assert data["verdict"] in NORMAL, data  # never SE, never a traceback


def test_run_request_the_protocol_cannot_carry_is_ce_not_se(judge, make_problem):
    """A test's run request the runner refuses (RequestRefused) makes the submission CE with the
    refusal as the message; it used to escape the grader and become SE. A contestant's source
    cannot cause it for real (its file name is fixed, or a Java class name already refused at the
    compilation, which is larger); what does is a Themis-style input file name holding a TAB (the
    loader takes the name as the package spells it), carried in the run's ``copy_as`` field."""
    problem = make_problem([("1 2\n", "3\n")], input_file="SUM\t.INP")
    data = judged(judge(problem, PY_AB, "python3"))
    assert data["verdict"] == "CE", data
    assert "cannot be run here" in data["compile_output"], data
    assert "tabs, newlines and NUL are not allowed" in data["compile_output"], data
    # the container it used is still in step: the next submission is judged normally
    ok = judged(judge(make_problem([("1 2\n", "3\n")]), PY_AB, "python3"))
    assert ok["verdict"] == "AC", ok


def test_interactive_run_request_the_protocol_cannot_carry_is_ce_not_se(judge, tmp_path):
    """The same for an interactive problem, caused for real by a package: ``validator_flags`` with
    a quoted TAB (shlex keeps it inside one argument of the validator's request). Both requests
    are built before either program starts; before, the validator's refusal was raised in its
    thread while the submission waited on its pipes until the wall limit, then became SE."""
    from judge.formats import load_problem

    files = {
        "problem.yaml": "name: Echo\nvalidation: custom interactive\nvalidator_flags: \"'a\\tb'\"\n",
        "data/secret/1.in": "4\n", "data/secret/1.ans": "8\n",
        "output_validators/v/v.cpp": "int main() { return 42; }\n",
    }
    for name, text in files.items():
        (tmp_path / "echo" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "echo" / name).write_text(text)
    problem = load_problem(tmp_path / "echo")
    assert problem.interactive
    data = judged(judge(problem, "print(2 * int(input()), flush=True)\n", "python3", time_limit=1))
    assert data["verdict"] == "CE", data
    assert "cannot be run here" in data["compile_output"], data
