import pytest

from judge.formats import FORMATS, detect_format, load_problem, render_statement
from judge.problem import ProblemError

from .conftest import DEMO_PROBLEMS, KATTIS_GROUPS, PROBLEMS


def themis_files(task="SUM", n=3, lower=False):
    ext_in, ext_out = (".inp", ".out") if lower else (".INP", ".OUT")
    stem = task.lower() if lower else task
    files = {}
    for i in range(1, n + 1):
        files[f"Test{i:02d}/{stem}{ext_in}"] = f"{i} {i}\n"
        files[f"Test{i:02d}/{stem}{ext_out}"] = f"{2 * i}\n"
    return files


def test_registry_and_detection(make_package):
    assert {"kattis", "themis"} <= set(FORMATS)
    assert detect_format(make_package(themis_files(), name="SUM")) == "themis"
    assert detect_format(make_package(KATTIS_GROUPS)) == "kattis"
    with pytest.raises(ProblemError, match="not a problem package"):
        detect_format(make_package({"README.txt": "hi"}))


def test_themis_upper_case(make_package):
    p = load_problem(make_package(themis_files(n=12), name="SUM"))
    assert p.format == "themis" and p.code == "SUM" and p.scoring
    assert [t.name for t in p.tests()][:3] == ["Test01", "Test02", "Test03"]
    assert [t.name for t in p.tests()][-1] == "Test12"  # natural order, not Test1 < Test10 < Test2
    assert p.input_file == "SUM.INP" and p.output_file == "SUM.OUT"
    t = p.tests()[0]
    assert t.dir.name == "Test01" and t.answer_path.name == "SUM.OUT"
    assert sum(t.score for t in p.tests()) == pytest.approx(100)
    assert p.root.grading.on_reject == "continue"


def test_themis_lower_case_and_limits(make_package):
    files = themis_files("sum", lower=True)
    files["limits.yaml"] = (
        "name: {vi: Tổng, en: Sum}\ntime_limit: 2\nmemory_limit: 64\nscores: {Test01: 50}\n"
        "checker: {kind: default, flags: float_tolerance 1e-3}\n"
    )
    files["statement/problem.vi.md"] = "# Tổng\nTính tổng.\n"
    p = load_problem(make_package(files, name="sum"))
    assert p.input_file == "sum.inp" and p.output_file == "sum.out"
    assert (p.time_limit, p.memory_limit) == (2, 64)
    assert [t.score for t in p.tests()] == [50, 25, 25]
    assert p.names == {"vi": "Tổng", "en": "Sum"}
    assert p.checker.flags == {"float_tolerance": 1e-3}
    assert "<h1>Tổng</h1>" in render_statement(p.statements["vi"])


def test_themis_renamed_folder_uses_file_names(make_package):
    p = load_problem(make_package(themis_files("ADD"), name="bai1"))
    assert p.code == "ADD" and p.input_file == "ADD.INP"


@pytest.mark.parametrize(
    "change, words",
    [
        ({"Test02/SUM.OUT": None}, "Test02/SUM.INP: the answer file is missing"),
        ({"limits.yaml": "time_limit: [1\n"}, "limits.yaml: malformed YAML at line"),
        ({"limits.yaml": "timelimit: 1\n"}, "limits.yaml: unknown key timelimit"),
        ({"limits.yaml": "time_limit: fast\n"}, "time_limit must be a number"),
        ({"limits.yaml": "checker: {kind: magic}\n"}, "unknown checker kind 'magic'"),
        ({"limits.yaml": "checker: {kind: themis, source: nope.cpp}\n"}, "nope.cpp' not found"),
        ({"limits.yaml": "checker: {kind: default, flags: fuzzy}\n"}, "unknown flag 'fuzzy'"),
        ({"limits.yaml": "checker: {kind: testlib, source: chk.cpp}\n", "chk.cpp": "int main(){}"}, "testlib.h"),
        ({"limits.yaml": "scores: {Test09: 5}\n"}, "unknown test 'Test09'"),
        ({"limits.yaml": "subtasks:\n  - {score: 10, tests: [Test01]}\n"}, "Test02' is in no subtask"),
    ],
)
def test_bad_themis_packages(make_package, change, words):
    files = themis_files()
    for k, v in change.items():
        if v is None:
            files.pop(k)
        else:
            files[k] = v
    path = make_package(files, name="SUM")
    if "Test02/SUM.OUT" in change:
        (path / "Test02/SUM.OUT").unlink(missing_ok=True)
    with pytest.raises(ProblemError) as exc:
        load_problem(path)
    assert words in str(exc.value)


def test_themis_without_tests(make_package):
    with pytest.raises(ProblemError, match="not a problem package"):
        load_problem(make_package({"limits.yaml": "time_limit: 1\n"}, name="SUM"))


def test_kattis_legacy_groups(make_package):
    p = load_problem(make_package(KATTIS_GROUPS, name="addtwo"))
    assert p.format == "kattis" and p.version == "legacy" and p.scoring and not p.interactive
    assert p.code == "addtwo" and p.memory_limit == 128
    assert p.names == {"en": "Add Two", "vi": "Cộng hai số"}
    assert p.statements["en"].format == "tex" and "<pre" in render_statement(p.statements["en"])
    assert [t.name for t in p.tests()] == ["sample/1", "secret/g1/01", "secret/g1/02", "secret/g2/01"]
    sample, secret = p.root.groups
    assert sample.tests[0].is_sample and not secret.groups[0].tests[0].is_sample
    g1 = secret.groups[0]
    assert (g1.name, g1.grading.score_mode, g1.grading.accept_score, g1.grading.on_reject) == ("secret/g1", "min", 40, "break")
    assert secret.grading.range == (0, 100) and secret.grading.accept_if_any_accepted
    assert p.root.grading.ignore_sample
    # sample has no testdata.yaml: it inherits data/testdata.yaml (legacy rule)
    assert sample.grading.on_reject == "continue"
    assert p.checker.kind == "default" and not p.time_limit_from_package


def test_kattis_validator_flags_and_timelimit_file(make_package):
    files = {
        "problem.yaml": "name: F\nvalidator_flags: float_relative_tolerance 1e-4 case_sensitive\n",
        "data/secret/1.in": "1\n",
        "data/secret/1.ans": "1\n",
        ".timelimit": "3\n",
    }
    p = load_problem(make_package(files))
    assert p.checker.flags == {"float_relative_tolerance": 1e-4, "case_sensitive": True}
    assert p.time_limit == 3 and p.time_limit_from_package and not p.scoring


def test_kattis_2023_07(make_package):
    files = {
        "problem.yaml": (
            "problem_format_version: 2023-07-draft\ntype: [scoring, interactive]\nuuid: x\n"
            "name: {en: Guess, vi: Đoán}\nlimits: {time_limit: 2.5, memory: 512, time_multipliers: {ac_to_time_limit: 3}}\n"
        ),
        "statement/problem.en.md": "Guess it.\n",
        "statement/problem.vi.md": "Đoán đi.\n",
        "data/secret/test_group.yaml": "scoring: {score: 40, aggregation: min}\n",
        "data/secret/1.in": "5\n",
        "data/secret/1.ans": "5\n",
        "output_validator/validator.cpp": "int main(){return 42;}\n",
        "output_validator/validate.h": "// helper\n",
    }
    p = load_problem(make_package(files))
    assert p.version == "2023-07-draft" and p.interactive and p.scoring
    assert (p.time_limit, p.memory_limit, p.time_multiplier) == (2.5, 512, 3)
    assert p.names == {"en": "Guess", "vi": "Đoán"}
    assert p.checker.kind == "kattis" and p.checker.source.name == "validator.cpp"
    secret = p.root.groups[0]
    assert secret.score == 40 and secret.grading.score_mode == "min"


def test_kattis_2023_07_validator_in_a_sub_folder(make_package):
    # as problemtools' own 2023-07 examples: output_validator/<name>/ holds the program
    files = {
        "problem.yaml": "problem_format_version: 2023-07-draft\ntype: pass-fail\nname: A\nvalidation: custom\n",
        "statement/problem.en.md": "A.\n",
        "data/secret/1.in": "5\n",
        "data/secret/1.ans": "5\n",
        "output_validator/checker/validate.cc": '#include "validate.h"\nint main(){return 42;}\n',
        "output_validator/checker/validate.h": "// helper\n",
    }
    p = load_problem(make_package(files))
    assert p.checker.kind == "kattis" and p.checker.source.name == "validate.cc"
    assert p.checker.include_dir.name == "checker"


BAD_KATTIS = [
    ({"data/secret/1.ans": None}, "data/secret/1.in: the answer file 1.ans is missing"),
    ({"problem.yaml": "name: [x\n"}, "problem.yaml: malformed YAML"),
    ({"problem.yaml": "name: x\ncolour: red\n"}, "problem.yaml: unknown key colour"),
    ({"problem.yaml": "validator_flags: float_tolerence 1e-6\n"}, "unknown flag 'float_tolerence'"),
    ({"problem.yaml": "type: golf\n"}, "unknown type 'golf'"),
    ({"problem.yaml": "validation: custom\n"}, "needs a program in output_validators/"),
    ({"problem.yaml": "limits: {memory: lots}\n"}, "limits.memory must be a number"),
    ({"problem.yaml": "limits: {cpu: 1}\n"}, "unknown key cpu in limits"),
    ({"data/secret/1.in": None, "data/secret/1.ans": None, "data/secret/README": "x"}, "data/secret: no test cases"),
    ({"data/secret/1.in": None, "data/secret/1.ans": None}, "data: missing test data folder"),
    ({"data/secret/testdata.yaml": "grader_flags: median\n"}, "unknown grader flag 'median'"),
    ({"data/secret/testdata.yaml": "on_reject: stop\n"}, "on_reject must be 'break' or 'continue'"),
    ({"data/secret/testdata.yaml": "range: 10\n"}, "range must be two numbers"),
    ({"data/secret/testdata.yaml": "grading: custom\n"}, "custom graders"),
    ({"data/secret/2.ans": "x\n"}, "data/secret/2.ans: answer file without its input"),
    ({"problem.yaml": "validation: custom\n", "output_validators/v.rb": "puts 1"}, "unsupported validator language"),
]


@pytest.mark.parametrize("change, words", BAD_KATTIS)
def test_bad_kattis_packages(make_package, change, words):
    files = {"problem.yaml": "name: X\n", "data/secret/1.in": "1\n", "data/secret/1.ans": "1\n"}
    for k, v in change.items():
        if v is None:
            files.pop(k)
        else:
            files[k] = v
    with pytest.raises(ProblemError) as exc:
        load_problem(make_package(files))
    assert words in str(exc.value)


def test_missing_path(tmp_path):
    with pytest.raises(ProblemError, match="no such file"):
        load_problem(tmp_path / "nothing")


@pytest.mark.parametrize("name", DEMO_PROBLEMS)
def test_demo_problems_load(name):
    p = load_problem(PROBLEMS / name)
    assert set(p.statements) >= {"vi", "en"} and set(p.names) >= {"vi", "en"}
    assert p.tests() and all(t.input_path.is_file() and t.answer_path.is_file() for t in p.tests())
    assert p.submissions_dir is not None
    for cat in p.submissions_dir.iterdir():
        assert cat.name in ("accepted", "partially_accepted", "wrong_answer", "time_limit_exceeded", "run_time_error")
    assert any((p.submissions_dir / "accepted").iterdir())
    for st in p.statements.values():
        assert render_statement(st)


def test_demo_set_covers_the_brief():
    problems = [load_problem(PROBLEMS / n) for n in DEMO_PROBLEMS]
    assert len(problems) >= 6
    assert sum(p.format == "themis" and p.input_file is not None for p in problems) >= 3
    assert any(p.interactive for p in problems)
    assert any("float_tolerance" in p.checker.flags for p in problems)
    assert any(p.scoring and any(g.groups or g.tests for g in p.root.groups) for p in problems)  # subtasks
    assert any(p.checker.kind == "themis" for p in problems)
