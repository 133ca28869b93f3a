"""The orchestrator and the CLI end to end: Themis file I/O, progress, scoring, SE, --json."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from judge.judging import judge_submission

pytestmark = pytest.mark.docker


def themis_folder(root, name="SUM", tests=(("1 2", "3"), ("5 6", "11"), ("7 8", "15"))):
    task = root / name
    for i, (inp, out) in enumerate(tests, 1):
        d = task / f"Test{i:02d}"
        d.mkdir(parents=True)
        (d / f"{name}.INP").write_text(inp + "\n")
        (d / f"{name}.OUT").write_text(out + "\n")
    return task


def test_themis_file_io_and_stdout(judge, make_problem):
    problem = make_problem([("1 2\n", "3\n"), ("5 6\n", "11\n")], input_file="SUM.INP",
                           output_file="SUM.OUT")
    # reads the file, writes the file (and garbage on stdout, which must be ignored)
    files = ('a, b = map(int, open("SUM.INP").read().split())\n'
             'open("SUM.OUT", "w").write(f"{a + b}\\n")\nprint("garbage")\n')
    assert judge(problem, files, "python3").verdict == "AC"
    # reads stdin, writes stdout
    assert judge(problem, "a, b = map(int, input().split())\nprint(a + b)\n", "python3").verdict == "AC"
    # the file wins over stdout when both exist
    both = 'open("SUM.OUT", "w").write("0\\n")\na, b = map(int, input().split())\nprint(a + b)\n'
    assert judge(problem, both, "python3").verdict == "WA"


def test_progress_and_flat_scores(judge, make_problem):
    problem = make_problem([("1 2\n", "3\n"), ("1 1\n", "5\n"), ("2 2\n", "4\n"), ("0 0\n", "1\n")])
    seen = []
    res = judge(problem, "a, b = map(int, input().split())\nprint(a + b)\n", "python3",
                on_progress=lambda t, i, n: seen.append((t.name, t.verdict, i, n)))
    assert seen == [("t01", "AC", 0, 4), ("t02", "WA", 1, 4), ("t03", "AC", 2, 4), ("t04", "WA", 3, 4)]
    assert res.verdict == "WA"
    d = res.to_dict()
    assert set(d) >= {"verdict", "score", "max_score", "time", "memory", "compile_output", "tests"}
    assert set(d["tests"][0]) >= {"name", "group", "verdict", "time", "wall_time", "memory", "score"}
    assert d["memory"] == max(t["memory"] for t in d["tests"]) > 0


def test_time_and_memory_limit_overrides(judge, make_problem):
    aplusb = make_problem([("1 2\n", "3\n")])
    src = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.6: pass\n" \
          "a, b = map(int, input().split())\nprint(a + b)\n"
    # python3's multiplier is 2: 0.25 s × 2 = 0.5 s < 0.6 s; 1 s × 2 leaves room
    assert judge(aplusb, src, "python3", time_limit=0.25).verdict == "TLE"
    assert judge(aplusb, src, "python3", time_limit=1).verdict == "AC"
    hog = "x = bytearray(100 << 20)\nfor i in range(0, len(x), 4096): x[i] = 1\n" \
          "a, b = map(int, input().split())\nprint(a + b)\n"
    assert judge(aplusb, hog, "python3", memory_limit=64).verdict == "MLE"
    assert judge(aplusb, hog, "python3", memory_limit=256).verdict == "AC"


def test_broken_engine_is_a_system_error_after_a_retry(sandbox_env, aplusb, monkeypatch):
    monkeypatch.setenv("JUDGE_IMAGE", "tinhoctre-judge:no-such-tag")
    res = judge_submission(aplusb, "print(3)\n", "python3")
    assert res.verdict == "SE"
    assert "no-such-tag" in res.message
    assert res.score == 0


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "judge", *map(str, args)], capture_output=True,
                          text=True, timeout=300)


def test_cli_json_on_a_themis_folder(sandbox_env, tmp_path):
    task = themis_folder(tmp_path)
    src = tmp_path / "sum.cpp"
    src.write_text('#include <cstdio>\nint main(){freopen("SUM.INP","r",stdin);freopen("SUM.OUT","w",stdout);'
                   'long long a,b;scanf("%lld %lld",&a,&b);printf("%lld\\n",a+b);}\n')
    proc = run_cli("run", task, src, "--json", "--time-limit", "2", "--memory-limit", "128")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["verdict"] == "AC" and data["score"] == data["max_score"]
    assert [t["name"] for t in data["tests"]] == ["Test01", "Test02", "Test03"]
    assert isinstance(data["time"], float) and isinstance(data["memory"], int)
    bad = tmp_path / "bad.py"
    bad.write_text("print(0)\n")
    proc = run_cli("run", task, bad)
    assert proc.returncode == 0 and "WA" in proc.stdout


def test_cli_bad_input(tmp_path):
    task = themis_folder(tmp_path)
    src = tmp_path / "a.py"
    src.write_text("print(1)\n")
    for args in ([tmp_path / "missing", src], [task, tmp_path / "missing.py"],
                 [task, src, "--language", "cobol"], [task, tmp_path / "a.rb"]):
        if str(args[1]).endswith(".rb"):
            args[1].write_text("puts 1\n")
        proc = run_cli("run", *args)
        assert proc.returncode != 0
        assert proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_oversized_source_is_a_compile_error_without_a_container(aplusb):
    res = judge_submission(aplusb, "x = 1\n" * (1 << 20), "python3")
    assert res.verdict == "CE" and "over the limit" in res.compile_output
