"""The verdict rules exist once (judge.graders.base) and both graders apply them; the overall
verdict rule; no import cycle in judge/. No Docker: runner outcomes are built by hand."""
from __future__ import annotations

import ast
import signal
from pathlib import Path
from types import SimpleNamespace

import pytest

from judge import result as R
from judge.graders import GRADERS, InteractiveGrader, StandardGrader, grader_kind
from judge.languages import get_language
from judge.result import TestResult as Row, overall_verdict
from judge.sandbox import RunOutcome

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024


class FakeBox:
    """Files the program wrote, as the graders read them from /io."""

    def __init__(self, files=None):
        self.files = files or {}

    def read_file(self, name, limit):
        return self.files.get(name, b"")[:limit]

    def file_size(self, name):
        return len(self.files.get(name, b""))


def outcome(**kw) -> RunOutcome:
    base = dict(exited=True, exit_code=0, signal=0, cpu=0.1, user=0.1, sys=0.0, wall=0.2,
                memory_kib=10 * MIB, tree_cpu=0.1, limit="", oom=False, exec_error="",
                cgroup_kib=12 * MIB)
    base.update(kw)
    return RunOutcome(**base)


def grader(cls, language="cpp", files=None):
    # time limit 1 s (× multiplier), memory 256 MiB, output 64 MiB
    lang = get_language(language)
    job = SimpleNamespace(lang=lang, cpu_limit=1.0 * lang.time_multiplier, memory_limit=256,
                          output_limit=64 << 20, box=FakeBox(files))
    return cls(job)


# (language, runner outcome, files written, expected verdict) — the rules of judge.graders.base
TABLE = [
    ("cpp", dict(), {}, None),
    ("cpp", dict(oom=True), {}, R.MLE),
    ("cpp", dict(limit="memory", signal=9, exited=False), {}, R.MLE),
    ("cpp", dict(cgroup_kib=257 * MIB), {}, R.MLE),  # the whole container over 256 MiB
    ("cpp", dict(cgroup_kib=256 * MIB), {}, None),  # exactly at the limit passes
    ("cpp", dict(memory_kib=257 * MIB, cgroup_kib=100 * MIB), {}, R.MLE),  # ru_maxrss over
    ("java", dict(memory_kib=400 * MIB, cgroup_kib=300 * MIB), {}, None),  # within 256 + 64
    ("java", dict(cgroup_kib=321 * MIB), {}, R.MLE),
    ("cpp", dict(cpu=1.01, tree_cpu=1.01), {}, R.TLE),
    ("cpp", dict(cpu=0.2, tree_cpu=1.5), {}, R.TLE),  # children never waited for
    ("python3", dict(cpu=1.9, tree_cpu=1.9), {}, None),  # Python: 1 s × 2
    ("cpp", dict(limit="wall", signal=9, exited=False, cpu=0.0, tree_cpu=0.0), {}, R.TLE),
    ("cpp", dict(oom=True, limit="cpu"), {}, R.MLE),  # memory first
    ("cpp", dict(cgroup_kib=300 * MIB, cpu=2.0, tree_cpu=2.0), {}, R.MLE),
    ("java", dict(exit_code=3), {"stderr": b"Terminating due to java.lang.OutOfMemoryError"}, R.MLE),
    ("java", dict(exit_code=3), {"stderr": b"Exception in thread main"}, R.RE),
    ("python3", dict(exit_code=1), {"stderr": b"MemoryError"}, R.MLE),
    ("cpp", dict(signal=signal.SIGXFSZ, exited=False), {}, R.OLE),
    ("cpp", dict(signal=signal.SIGSEGV, exited=False), {}, R.RE),
    ("cpp", dict(exit_code=1), {}, R.RE),
    ("cpp", dict(cpu=1.5, tree_cpu=1.5, signal=signal.SIGSEGV, exited=False), {}, R.TLE),
]


@pytest.mark.parametrize("cls", [StandardGrader, InteractiveGrader])
@pytest.mark.parametrize("language,fields,files,expected", TABLE)
def test_outcome_to_verdict_is_the_same_in_both_graders(cls, language, fields, files, expected):
    g = grader(cls, language, files)
    decided = g.limit_verdict(outcome(**fields), lambda: g.read_text("stderr") + g.read_text("output"))
    assert (decided[0] if decided else None) == expected, decided


def test_output_at_the_limit_is_ole_for_a_standard_run():
    g = grader(StandardGrader, files={"output": b"x" * (64 << 20)})
    assert g.limit_verdict(outcome(), None)[0] == R.OLE


def test_the_memory_figure_is_the_one_the_verdict_used():
    g = grader(StandardGrader)
    res = g.result(SimpleNamespace(name="t1", group=""), outcome(memory_kib=5 * MIB, cgroup_kib=300 * MIB))
    assert res.memory == 300 * MIB
    j = grader(StandardGrader, "java")
    res = j.result(SimpleNamespace(name="t1", group=""), outcome(memory_kib=40 * MIB, cgroup_kib=16 * MIB))
    assert res.memory == 16 * MIB  # Java: the cgroup's figure alone (its RSS counts shared JDK files)


def test_grader_registry():
    assert GRADERS == {"standard": StandardGrader, "interactive": InteractiveGrader}
    assert grader_kind(SimpleNamespace(interactive=True)) == "interactive"
    assert grader_kind(SimpleNamespace(interactive=False)) == "standard"


def t(verdict):
    return Row(name="x", group="", verdict=verdict)


@pytest.mark.parametrize("tests,score,max_score,expected", [
    ([t("AC"), t("AC")], 100, 100, "AC"),
    # a Kattis scoring submission: subtask 1 passed (30 points), TLE on subtask 2
    ([t("AC"), t("AC"), t("TLE"), t("SK")], 30, 100, "TLE"),
    ([t("AC"), t("WA"), t("TLE")], 33.3, 100, "WA"),  # the first failed test, not the worst
    ([t("AC"), t("AC")], 50, 100, "WA"),  # partial points on accepted tests
    ([t("WA"), t("AC")], 100, 100, "AC"),  # full marks (e.g. a failed sample that is ignored)
    ([t("RE"), t("SK")], 0, 100, "RE"),
])
def test_overall_verdict(tests, score, max_score, expected):
    assert overall_verdict(tests, score, max_score) == expected


def _imports(path: Path, modules: set[str]) -> set[str]:
    """judge.* modules imported anywhere in a file (module level and inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n for n in names if n in modules}
    return found


def test_no_import_cycle_in_judge():
    files = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
             for p in (ROOT / "judge").rglob("*.py")}
    graph = {m: _imports(p, set(files)) - {m} for m, p in files.items()}
    # a package imports its own submodules: no cycle; a submodule importing its package is
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for d in graph[m]:
            if state.get(d) == 1:
                pytest.fail("import cycle: " + " -> ".join(path + [m, d]))
            if d not in state:
                visit(d, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_default_checker_does_not_depend_on_import_order(tmp_path):
    import subprocess
    import sys

    code = ("from judge.checkers import get_checker; import sys; "
            "sys.stdout.write(get_checker('default').__name__)")
    first = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    code2 = "import judge.program_checkers; " + code
    second = subprocess.run([sys.executable, "-c", code2], cwd=ROOT, capture_output=True, text=True)
    assert first.stdout == second.stdout == "default_checker", (first.stderr, second.stderr)
