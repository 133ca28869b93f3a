"""Integration tests: real Docker, real compilers. `judge verify` on every demo problem and on
packages built from the Kattis spec's example layout (groups, custom validators, interactive)."""
import json
import subprocess
import sys

import pytest

from judge.formats import load_problem
from judge.judging import judge_submission
from judge.verify import verify_package

from .conftest import DEMO_PROBLEMS, REPO

pytestmark = pytest.mark.docker


@pytest.mark.parametrize("name", DEMO_PROBLEMS)
def test_demo_problem_verifies(docker_env, demo_copy, name):
    pkg = demo_copy(name)
    report = verify_package(pkg)
    assert report.ok, "\n" + "\n".join(f"{s.file}: expected {s.expected}, got {s.verdict} {s.score}/{s.max_score} {s.note}" for s in report.submissions) + report.error
    judged = {s.expected for s in report.submissions if s.status == "ok"}
    assert "accepted" in judged and len(judged) >= 2  # accepted and at least one failing kind
    problem = load_problem(pkg)
    if report.time_limit_source == "computed":
        # remembered for the next load (and for the web app)
        assert (pkg / ".judge-timelimit").read_text().strip() == f"{report.time_limit:g}"
        assert problem.time_limit == report.time_limit and problem.time_limit_from_package


def test_cli_verify_json_and_exit_code(docker_env, demo_copy):
    pkg = demo_copy("hcn")
    proc = subprocess.run([sys.executable, "-m", "judge", "verify", str(pkg), "--json"],
                          capture_output=True, text=True, cwd=REPO, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] and data["format"] == "themis themis"
    row = next(s for s in data["submissions"] if s["file"] == "run_time_error/wrong_file.py")
    assert row["verdict"] == "RE" and row["status"] == "ok"
    # A wrongly filed submission makes verify fail with exit status 1 and a readable table.
    (pkg / "submissions/wrong_answer/actually_right.py").write_text(
        (pkg / "submissions/accepted/hcn.py").read_text())
    (pkg / "submissions/accepted/notes.txt").write_text("not a program\n")
    proc = subprocess.run([sys.executable, "-m", "judge", "verify", str(pkg)],
                          capture_output=True, text=True, cwd=REPO, timeout=240)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "MISMATCH" in proc.stdout and "actually_right.py" in proc.stdout
    assert "accepted/notes.txt" in proc.stdout and "skipped" in proc.stdout


# -- a scoring package shaped like the spec's examples: groups + custom validator with score.txt ----
NEAR_VALIDATOR = r"""
#include <cstdio>
#include <cstdlib>
#include <string>
// Kattis output validator: the answer file holds t; the team prints x; score = 10 - |x - t|.
int main(int argc, char **argv) {
    FILE *ans = std::fopen(argv[2], "r");
    long long t, x;
    if (!ans || std::fscanf(ans, "%lld", &t) != 1) return 1;
    std::string fb = argv[3];
    FILE *msg = std::fopen((fb + "judgemessage.txt").c_str(), "w");
    if (std::scanf("%lld", &x) != 1) { std::fprintf(msg, "no number\n"); return 43; }
    long long d = std::llabs(x - t);
    if (d >= 10) { std::fprintf(msg, "too far: %lld\n", d); return 43; }
    FILE *score = std::fopen((fb + "score.txt").c_str(), "w");
    std::fprintf(score, "%lld\n", 10 - d);
    std::fclose(score);
    std::fprintf(msg, "distance %lld\n", d);
    return 42;
}
"""

NEAR_PACKAGE = {
    "problem.yaml": "name: Near\ntype: scoring\nvalidation: custom score\nlimits:\n  memory: 128\n",
    "problem_statement/problem.en.tex": "\\problemname{Near}\nPrint a number close to $t$.\n",
    "data/testdata.yaml": "on_reject: continue\ngrader_flags: ignore_sample sum\n",
    "data/sample/1.in": "5\n", "data/sample/1.ans": "5\n",
    "data/secret/testdata.yaml": "on_reject: continue\ngrader_flags: sum\nrange: 0 20\n",
    "data/secret/a/1.in": "5\n", "data/secret/a/1.ans": "5\n",
    "data/secret/b/1.in": "100\n", "data/secret/b/1.ans": "100\n",
    "output_validators/near/near.cpp": NEAR_VALIDATOR,
    "submissions/accepted/exact.py": "print(int(input()))\n",
    "submissions/partially_accepted/off_by_three.c":
        '#include <stdio.h>\nint main(void){long long t; scanf("%lld",&t); printf("%lld\\n", t + 3); return 0;}\n',
    "submissions/wrong_answer/far.py": "print(int(input()) + 100)\n",
}


def test_kattis_groups_with_scoring_validator(docker_env, make_package):
    pkg = make_package(NEAR_PACKAGE, name="near")
    report = verify_package(pkg)
    rows = {s.file: s for s in report.submissions}
    assert report.ok, report.to_dict()
    assert rows["accepted/exact.py"].score == 100 and rows["partially_accepted/off_by_three.c"].score == 70
    assert report.time_limit_source == "computed" and (pkg / ".judge-timelimit").is_file()
    res = judge_submission(load_problem(pkg), "print(int(input()) + 1)\n", "python3")
    # every test accepted by the validator, with partial points: problemtools' aggregate is AC,
    # the verdict shown is not (AC only with full marks)
    assert res.package_verdict == "AC" and res.score == pytest.approx(90)
    assert res.verdict == "WA"
    assert "distance 1" in res.tests[1].message


def test_validator_that_does_not_compile_is_named(docker_env, make_package):
    files = dict(NEAR_PACKAGE)
    files["output_validators/near/near.cpp"] = "int main( { return 42; }\n"
    report = verify_package(make_package(files, name="broken"))
    assert not report.ok and not report.submissions
    assert "output_validators/near/near.cpp" in report.error and "does not compile" in report.error


# -- interactive, legacy layout, C++ validator ------------------------------------------------------
ECHO_VALIDATOR = r"""
#include <cstdio>
#include <string>
// Interactive: send n, expect 2n back, then the line "done".
int main(int argc, char **argv) {
    FILE *in = std::fopen(argv[1], "r");
    long long n, x;
    std::fscanf(in, "%lld", &n);
    std::string fb = argv[3];
    FILE *msg = std::fopen((fb + "judgemessage.txt").c_str(), "w");
    std::printf("%lld\n", n);
    std::fflush(stdout);
    if (std::scanf("%lld", &x) != 1) { std::fprintf(msg, "no answer\n"); return 43; }
    if (x != 2 * n) { std::fprintf(msg, "expected %lld got %lld\n", 2 * n, x); return 43; }
    std::fprintf(msg, "ok\n");
    return 42;
}
"""

ECHO_PACKAGE = {
    "problem.yaml": "name: Double\nvalidation: custom interactive\n",
    "data/sample/1.in": "4\n", "data/sample/1.ans": "8\n",
    "data/secret/1.in": "21\n", "data/secret/1.ans": "42\n",
    "data/secret/2.in": "-5\n", "data/secret/2.ans": "-10\n",
    "output_validators/double/validator.cpp": ECHO_VALIDATOR,
    "submissions/accepted/double.cpp":
        "#include <iostream>\nint main(){long long n; std::cin >> n; std::cout << 2 * n << std::endl;}\n",
    "submissions/accepted/double.py": "print(2 * int(input()), flush=True)\n",
    "submissions/wrong_answer/triple.py": "print(3 * int(input()), flush=True)\n",
    # rejected, then crashes on the closed pipe: still WA (the validator decided first)
    "submissions/wrong_answer/wrong_then_reads.py": "print(3 * int(input()), flush=True)\ninput()\n",
    "submissions/wrong_answer/exits_at_once.c": "int main(void) { return 0; }\n",
    "submissions/run_time_error/crash.py": "n = int(input())\nraise SystemExit(3)\n",
    "submissions/time_limit_exceeded/never_reads.c":
        "int main(void){ for(;;){} }\n",
    "submissions/time_limit_exceeded/waits_forever.py": "import time\nn = input()\ntime.sleep(100)\n",
}


def test_interactive_package(docker_env, make_package):
    pkg = make_package(ECHO_PACKAGE, name="double")
    problem = load_problem(pkg)
    assert problem.interactive and problem.checker.kind == "kattis"
    report = verify_package(pkg)
    assert report.ok, report.to_dict()
    res = judge_submission(problem, "print(2 * int(input()), flush=True)\n", "python3")
    assert res.verdict == "AC" and [t.message for t in res.tests] == ["ok", "ok", "ok"]


# -- Themis with a testlib checker (the package brings its own testlib.h; ours is a tiny fake) --------
TESTLIB_CHECKER = r"""
#include "testlib.h"
// Half the points if the sum is right but the product is wrong.
int main(int argc, char **argv) {
    registerTestlibCmd(argc, argv);
    long long s = ans.readLong(), p = ans.readLong();
    long long a = ouf.readLong(), b = ouf.readLong();
    if (a != s) quitf(_wa, "sum %lld, expected %lld", a, s);
    if (b != p) quitp(0.5, "sum right, product %lld expected %lld", b, p);
    quitf(_ok, "both right");
}
"""


def test_themis_testlib_checker(docker_env, make_package):
    from pathlib import Path

    files = {f"Test0{i}/SP.INP": f"{i} {i + 1}\n" for i in range(1, 4)}
    files.update({f"Test0{i}/SP.OUT": f"{2 * i + 1}\n{i * (i + 1)}\n" for i in range(1, 4)})
    files["limits.yaml"] = "checker: {kind: testlib, source: checker/check.cpp}\nscores: {Test01: 20, Test02: 40, Test03: 40}\n"
    files["checker/check.cpp"] = TESTLIB_CHECKER
    files["checker/testlib.h"] = (Path(__file__).parent / "fake_testlib.h").read_text()
    files["submissions/accepted/sp.py"] = "a, b = map(int, open('SP.INP').read().split())\nopen('SP.OUT', 'w').write(f'{a + b}\\n{a * b}\\n')\n"
    files["submissions/partially_accepted/sum_only.py"] = "a, b = map(int, input().split())\nprint(a + b)\nprint(0)\n"
    files["submissions/wrong_answer/nothing.cpp"] = "int main() { return 0; }\n"
    pkg = make_package(files, name="SP")
    report = verify_package(pkg)
    assert report.ok, report.to_dict()
    rows = {s.file: s for s in report.submissions}
    assert rows["partially_accepted/sum_only.py"].score == pytest.approx(50)
    assert rows["partially_accepted/sum_only.py"].verdict == "WA"


def test_run_cli_accepts_kattis_and_zip(docker_env, demo_copy, tmp_path):
    import shutil

    pkg = demo_copy("quangduong")
    zipped = shutil.make_archive(str(tmp_path / "quangduong"), "zip", root_dir=pkg.parent, base_dir=pkg.name)
    for package in (pkg, zipped):
        proc = subprocess.run(
            [sys.executable, "-m", "judge", "run", str(package), str(pkg / "submissions/accepted/walk.py"), "--json"],
            capture_output=True, text=True, cwd=REPO, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["verdict"] == "AC"
