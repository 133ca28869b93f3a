"""Kattis problem package format: ``legacy`` and ``2023-07(-draft)``.

Read: ``problem.yaml`` (name, type, validation, validator_flags, limits), statements in
``problem_statement/`` (legacy) or ``statement/`` (2023-07), test data under ``data/sample`` and
``data/secret`` with nested groups and ``testdata.yaml`` / ``test_group.yaml``, the output
validator in ``output_validators/`` (legacy) or ``output_validator/`` (2023-07).

Time limit: ``limits.time_limit`` (2023-07) if given; otherwise the ``.timelimit`` file Kattis
tools leave in the package, or our own ``.judge-timelimit`` written by ``judge verify`` (see
:mod:`judge.verify`).  Without any, ``problem.time_limit_from_package`` is False and ``judge verify``
computes it as problemtools does: slowest accepted submission × ``time_multiplier`` (legacy
default 5; 2023-07 ``time_multipliers.ac_to_time_limit``, default 2), rounded up to whole seconds.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from judge.formats.common import (
    as_number,
    check_keys,
    load_statements,
    natural_key,
    read_yaml,
    rel,
    title_from_statement,
)
from judge.problem import Checker, Grading, Problem, ProblemError, TestCase, TestGroup
from judge.validators import parse_flags

TIMELIMIT_FILES = (".judge-timelimit", ".timelimit")
_PROBLEM_KEYS = {
    "problem_format_version", "type", "name", "uuid", "version", "author", "credits", "source",
    "source_url", "license", "rights_owner", "embargo_until", "limits", "validation",
    "validator_flags", "grading", "keywords", "languages", "allow_file_writing", "constants",
}
_LIMIT_KEYS = {
    "time_multiplier", "time_safety_margin", "time_multipliers", "time_limit", "time_resolution",
    "memory", "output", "code", "compilation_time", "compilation_memory", "validation_time",
    "validation_memory", "validation_output", "validation_passes",
}
_TESTDATA_KEYS = {
    "on_reject", "grading", "grader_flags", "input_validator_flags", "output_validator_flags",
    "accept_score", "reject_score", "range", "scoring", "input_validator_args",
    "output_validator_args", "static_validation", "full_feedback", "hint", "description", "args",
}
_TYPES = {"pass-fail", "scoring", "interactive", "multi-pass", "submit-answer"}
VALIDATOR_SOURCE_EXTS = {".c", ".cpp", ".cc", ".cxx", ".py"}


def detect(path: Path) -> bool:
    return path.is_dir() and ((path / "problem.yaml").is_file() or (path / "data" / "secret").is_dir())


def _grader_flags(text: str, g: Grading, where: str) -> None:
    for flag in str(text).split():
        if flag in ("worst_error", "first_error", "always_accept"):
            g.verdict_mode = flag
        elif flag in ("sum", "avg", "min", "max"):
            g.score_mode = flag
        elif flag == "ignore_sample":
            g.ignore_sample = True
        elif flag == "accept_if_any_accepted":
            g.accept_if_any_accepted = True
        else:
            raise ProblemError(f"{where}: unknown grader flag {flag!r}")


def _parse_range(value, where: str) -> tuple[float, float]:
    parts = str(value).split()
    try:
        lo, hi = (float(p) for p in parts)
    except ValueError:
        raise ProblemError(f"{where}: range must be two numbers like '0 100', got {value!r}") from None
    if lo > hi:
        raise ProblemError(f"{where}: range {value!r} is empty")
    return lo, hi


class _Loader:
    def __init__(self, path: Path):
        self.path = path
        self.yaml_path = path / "problem.yaml"
        self.meta = read_yaml(self.yaml_path, path) if self.yaml_path.is_file() else {}
        check_keys(self.meta, _PROBLEM_KEYS, self.yaml_path, path)
        self.version = str(self.meta.get("problem_format_version", "legacy"))
        self.modern = self.version not in ("legacy", "legacy-icpc")
        self.problem = Problem(code=path.name, path=path, format="kattis", version=self.version)

    def err(self, file: Path, msg: str) -> ProblemError:
        return ProblemError(f"{rel(file, self.path)}: {msg}")

    # -- problem.yaml ----------------------------------------------------------------------
    def metadata(self) -> tuple[bool, bool, bool]:
        """Returns (custom_validator_required, validator_gives_score, interactive)."""
        p, m = self.problem, self.meta
        types = m.get("type", "pass-fail")
        types = [types] if isinstance(types, str) else types
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise self.err(self.yaml_path, "type must be a string or a list of strings")
        types = [t for s in types for t in s.split()]
        for t in types:
            if t not in _TYPES:
                raise self.err(self.yaml_path, f"unknown type {t!r} (allowed: {', '.join(sorted(_TYPES))})")
        if "pass-fail" in types and "scoring" in types:
            raise self.err(self.yaml_path, "type cannot be both pass-fail and scoring")
        for t in ("multi-pass", "submit-answer"):
            if t in types:
                raise self.err(self.yaml_path, f"problem type {t!r} is not supported by this judge")
        p.scoring = "scoring" in types
        interactive = "interactive" in types
        custom = interactive
        score = False
        validation = str(m.get("validation", "default")).split()
        if validation:
            if validation[0] not in ("default", "custom"):
                raise self.err(self.yaml_path, f"validation must start with 'default' or 'custom', got {validation[0]!r}")
            for v in validation[1:]:
                if v not in ("score", "interactive") or validation[0] != "custom":
                    raise self.err(self.yaml_path, f"unexpected word {v!r} in validation")
            custom = custom or validation[0] == "custom"
            interactive = interactive or "interactive" in validation
            score = "score" in validation
        p.interactive = interactive

        limits = m.get("limits") or {}
        if not isinstance(limits, dict):
            raise self.err(self.yaml_path, "limits must be a mapping")
        check_keys(limits, _LIMIT_KEYS, self.yaml_path, self.path, "limits")
        if "memory" in limits:
            p.memory_limit = int(as_number(limits["memory"], "limits.memory", self.yaml_path, self.path))
        if "output" in limits:
            p.output_limit = int(as_number(limits["output"], "limits.output", self.yaml_path, self.path))
        if self.modern:
            p.time_multiplier = 2.0
            tm = limits.get("time_multipliers") or {}
            if not isinstance(tm, dict):
                raise self.err(self.yaml_path, "limits.time_multipliers must be a mapping")
            check_keys(tm, {"ac_to_time_limit", "time_limit_to_tle"}, self.yaml_path, self.path, "limits.time_multipliers")
            if "ac_to_time_limit" in tm:
                p.time_multiplier = as_number(tm["ac_to_time_limit"], "ac_to_time_limit", self.yaml_path, self.path)
        if "time_multiplier" in limits:
            p.time_multiplier = as_number(limits["time_multiplier"], "limits.time_multiplier", self.yaml_path, self.path)
        if "time_limit" in limits:
            p.time_limit = as_number(limits["time_limit"], "limits.time_limit", self.yaml_path, self.path)
            p.time_limit_from_package = True
        else:
            for fname in TIMELIMIT_FILES:
                f = self.path / fname
                if f.is_file():
                    p.time_limit = as_number(f.read_text().strip(), "the time limit", f, self.path)
                    p.time_limit_from_package = True
                    break
            else:
                p.time_limit_from_package = False

        flags = m.get("validator_flags")
        if flags is not None and not isinstance(flags, str):
            raise self.err(self.yaml_path, "validator_flags must be a string")
        self.validator_flags = shlex.split(flags) if flags else []
        if "grading" in m and not isinstance(m["grading"], dict):
            raise self.err(self.yaml_path, "grading must be a mapping")
        return custom, score, interactive

    # -- statements and names ---------------------------------------------------------------
    def statements(self) -> None:
        p = self.problem
        for d in ("statement", "problem_statement"):
            p.statements = load_statements(self.path / d, self.path)
            if p.statements:
                break
        name = self.meta.get("name")
        if isinstance(name, dict):
            p.names = {str(k): str(v) for k, v in name.items()}
        elif name is not None:
            if self.modern or "en" in p.statements or not p.statements:
                p.names = {"en": str(name)}
            else:
                p.names = {next(iter(p.statements)): str(name)}
        for lang, st in p.statements.items():
            if lang not in p.names:
                t = title_from_statement(st)
                if t:
                    p.names[lang] = t

    # -- test data --------------------------------------------------------------------------
    def testdata(self) -> None:
        data = self.path / "data"
        if not data.is_dir():
            raise self.err(data, "missing test data folder (expected data/sample and data/secret)")
        root = self.problem.root
        root_settings = self._settings(data, None)
        root.grading = root_settings[0]
        if self.modern and self.problem.scoring:
            root.grading.ignore_sample = True  # 2023-07: samples never count toward the score
        for sub in ("sample", "secret"):
            d = data / sub
            if d.is_dir():
                root.groups.append(self._group(d, sub, root_settings))
        secret = next((g for g in root.groups if g.name == "secret"), None)
        if secret is None or not secret.all_tests():
            raise self.err(data / "secret", "no test cases (need at least one .in/.ans pair under data/secret)")

    def _settings(self, d: Path, inherited):
        """(Grading, validator args, group score) for group folder d; legacy inherits whole files."""
        f = next((d / n for n in ("testdata.yaml", "test_group.yaml") if (d / n).is_file()), None)
        if f is None:
            if inherited is None:
                return Grading(), list(self.validator_flags), None
            g, args, _ = inherited
            return Grading(**vars(g)), list(args), None
        td = read_yaml(f, self.path)
        check_keys(td, _TESTDATA_KEYS, f, self.path)
        where = rel(f, self.path)
        if self.modern and inherited is not None:
            g = Grading()  # scoring is not inherited in 2023-07
            args = list(inherited[1])
        else:
            g = Grading()
            args = list(self.validator_flags)
        if "on_reject" in td:
            if td["on_reject"] not in ("break", "continue"):
                raise self.err(f, f"on_reject must be 'break' or 'continue', got {td['on_reject']!r}")
            g.on_reject = td["on_reject"]
        if td.get("grading", "default") != "default":
            raise self.err(f, "custom graders (grading: custom) are not supported by this judge")
        if "grader_flags" in td:
            _grader_flags(td["grader_flags"] or "", g, where)
        for key in ("accept_score", "reject_score"):
            if key in td:
                setattr(g, key, as_number(td[key], key, f, self.path, positive=False))
        if "range" in td:
            g.range = _parse_range(td["range"], where)
        group_score = None
        sc = td.get("scoring")
        if sc is not None:
            if not isinstance(sc, dict):
                raise self.err(f, "scoring must be a mapping")
            check_keys(sc, {"score", "aggregation"}, f, self.path, "scoring")
            agg = sc.get("aggregation", "sum")
            if agg not in ("sum", "min", "pass-fail"):
                raise self.err(f, f"unknown scoring aggregation {agg!r}")
            if agg == "min":
                g.score_mode = "min"
                g.on_reject = "break" if "on_reject" not in td else g.on_reject
            elif agg == "sum":
                g.on_reject = "continue" if "on_reject" not in td else g.on_reject
            if "score" in sc and sc["score"] != "unbounded":
                group_score = as_number(sc["score"], "scoring.score", f, self.path, positive=False)
        for key in ("output_validator_flags", "output_validator_args"):
            if key in td:
                v = td[key]
                if isinstance(v, dict):
                    v = v.get("flags", "")
                args = [str(a) for a in v] if isinstance(v, list) else shlex.split(str(v or ""))
        return g, args, group_score

    def _group(self, d: Path, name: str, parent_settings) -> TestGroup:
        settings = self._settings(d, parent_settings)
        grading, args, score = settings
        group = TestGroup(name=name, grading=grading, score=score)
        entries = sorted(d.iterdir(), key=lambda e: natural_key(e.name))
        for e in entries:
            if e.is_file() and e.suffix == ".in":
                ans = e.with_suffix(".ans")
                if not ans.is_file():
                    raise self.err(e, f"the answer file {ans.name} is missing")
                tname = f"{name}/{e.stem}"
                group.tests.append(
                    TestCase(
                        name=tname, input_path=e, answer_path=ans, group=name,
                        is_sample=name.split("/")[0] == "sample", validator_args=list(args),
                    )
                )
            elif e.is_file() and e.suffix == ".ans" and not e.with_suffix(".in").is_file():
                raise self.err(e, f"answer file without its input {e.with_suffix('.in').name}")
        for e in entries:
            if e.is_dir() and not e.name.endswith(".files"):
                sub = self._group(e, f"{name}/{e.name}", settings)
                if sub.all_tests():
                    group.groups.append(sub)
        return group

    # -- output validator -------------------------------------------------------------------
    def validator(self, custom: bool, interactive: bool) -> None:
        p = self.problem
        folders = [self.path / "output_validator", self.path / "output_validators"]
        programs: list[Path] = []
        for f in folders:
            if f.is_dir():
                if f.name == "output_validator":
                    programs.append(f)
                else:
                    programs.extend(sorted(x for x in f.iterdir() if not x.name.startswith(".")))
        if not custom:
            p.checker = Checker(kind="default", flags=parse_flags(self.validator_flags, f"{rel(self.yaml_path, self.path)}: validator_flags"))
            for t in p.tests():
                if t.validator_args != self.validator_flags:
                    parse_flags(t.validator_args, f"testdata.yaml of {t.group}: output_validator_flags")
            return
        if not programs:
            raise self.err(self.yaml_path, "custom validation needs a program in output_validators/ (legacy) or output_validator/")
        if len(programs) > 1:
            raise self.err(programs[1], "only one output validator per problem is supported")
        prog = programs[0]
        if prog.is_dir() and not any(x.is_file() and x.suffix in VALIDATOR_SOURCE_EXTS
                                     for x in prog.iterdir()):
            # 2023-07 examples keep the program in a sub-folder of output_validator/
            subs = [x for x in prog.iterdir() if x.is_dir() and not x.name.startswith(".")]
            if len(subs) == 1:
                prog = subs[0]
        if prog.is_dir():
            srcs = sorted(x for x in prog.iterdir() if x.is_file() and x.suffix in VALIDATOR_SOURCE_EXTS)
            if not srcs:
                raise self.err(prog, "no validator source (.c, .cpp, .py) found")
            main = [s for s in srcs if s.suffix in (".c", ".cpp", ".cc", ".cxx")]
            source = main[0] if len(main) == 1 else (srcs[0] if len(srcs) == 1 else None)
            if source is None:
                py_main = prog / "__main__.py"
                if py_main.is_file():
                    source = py_main
                else:
                    raise self.err(prog, "several validator sources; keep one (headers may stay)")
            include = prog
        else:
            if prog.suffix not in VALIDATOR_SOURCE_EXTS:
                raise self.err(prog, f"unsupported validator language {prog.suffix!r} (use C, C++ or Python 3)")
            source, include = prog, prog.parent
        p.checker = Checker(kind="kattis", source=source, args=list(self.validator_flags), include_dir=include)

    def load(self) -> Problem:
        custom, _score, interactive = self.metadata()
        self.statements()
        self.testdata()
        self.validator(custom, interactive)
        if (self.path / "submissions").is_dir():
            self.problem.submissions_dir = self.path / "submissions"
        return self.problem


def load(path: Path) -> Problem:
    return _Loader(Path(path)).load()


def write_time_limit(path: Path, seconds: float) -> Path:
    """Remember a computed time limit in the package (``.judge-timelimit``)."""
    f = Path(path) / TIMELIMIT_FILES[0]
    f.write_text(f"{seconds:g}\n")
    return f
