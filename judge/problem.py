"""The in-memory model of a problem, shared by every package loader and by the judge.

A loader (Themis folder, Kattis package, ...) turns files on disk into a :class:`Problem`;
the judge only ever looks at a :class:`Problem`, never at the package layout.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_TIME_LIMIT = 1.0  # seconds, when nothing says otherwise
DEFAULT_MEMORY_LIMIT = 256  # MiB
DEFAULT_OUTPUT_LIMIT = 64  # MiB


class ProblemError(Exception):
    """A package is unusable. The message names the offending file and says how to fix it."""


@dataclass
class TestCase:
    """One test: an input file and the judge's answer file (the answer never enters the sandbox)."""

    __test__ = False  # not a pytest test class

    name: str  # unique inside the problem, e.g. "Test01" or "secret/group1/01"
    input_path: Path
    answer_path: Path
    group: str = ""  # name of the innermost group, "" for a flat problem
    is_sample: bool = False
    dir: Path | None = None  # the test's own folder (Themis checkers receive it)
    score: float | None = None  # Themis-style weight: the test is worth score × checker ratio
    validator_args: list[str] = field(default_factory=list)  # extra args for the output validator


@dataclass
class Grading:
    """How a group's verdict and score are aggregated from its children (Kattis testdata.yaml)."""

    on_reject: str = "break"  # "break": stop at the first rejected test; "continue": run all
    accept_score: float = 1.0
    reject_score: float = 0.0
    range: tuple[float, float] | None = None  # clamp of the aggregated score
    verdict_mode: str = "worst_error"  # or "first_error"
    score_mode: str = "sum"  # sum | min | avg
    ignore_sample: bool = False
    accept_if_any_accepted: bool = False


@dataclass
class TestGroup:
    __test__ = False  # not a pytest test class

    name: str
    tests: list[TestCase] = field(default_factory=list)
    groups: list["TestGroup"] = field(default_factory=list)
    grading: Grading = field(default_factory=Grading)
    score: float | None = None  # max score of the group (subtask points), None = unweighted

    def all_tests(self) -> list[TestCase]:
        out = list(self.tests)
        for g in self.groups:
            out.extend(g.all_tests())
        return out


@dataclass
class Checker:
    """How an output is checked, outside the contestant's sandbox.

    kind is a key of the checkers registry: "default" (tokens, whitespace-insensitive, optional float
    tolerance), "exact", "kattis" (output validator program), "themis" (Themis-style checker),
    "testlib" (checker built against the package's own testlib.h).
    """

    kind: str = "default"
    flags: dict = field(default_factory=dict)
    source: Path | None = None  # program source for custom checkers
    args: list[str] = field(default_factory=list)  # extra command-line args (Kattis validator_flags)
    include_dir: Path | None = None  # folder with headers for the checker build (testlib.h)


@dataclass
class Statement:
    language: str  # "vi", "en", ...
    format: str  # "md", "tex", "html", "txt", "pdf"
    text: str
    path: Path | None = None


@dataclass
class Problem:
    code: str  # short name, e.g. "SUM" (Themis task name / Kattis short name)
    path: Path
    format: str  # key of the package-format registry: "themis", "kattis", ...
    names: dict[str, str] = field(default_factory=dict)  # language -> title
    statements: dict[str, Statement] = field(default_factory=dict)
    time_limit: float = DEFAULT_TIME_LIMIT  # seconds of CPU time per test
    memory_limit: int = DEFAULT_MEMORY_LIMIT  # MiB
    output_limit: int = DEFAULT_OUTPUT_LIMIT  # MiB
    root: TestGroup = field(default_factory=lambda: TestGroup(name=""))
    checker: Checker = field(default_factory=Checker)
    interactive: bool = False
    scoring: bool = False  # True: partial scores (IOI style); False: pass/fail
    max_score: float = 100.0
    input_file: str | None = None  # e.g. "SUM.INP": the input is also written there (Themis style)
    output_file: str | None = None  # e.g. "SUM.OUT": read if the program wrote it, else stdout
    time_limit_from_package: bool = True
    time_multiplier: float = 5.0  # time limit = slowest accepted × this, when the package has none
    version: str = ""  # package format version, e.g. "legacy" or "2023-07-draft"
    submissions_dir: Path | None = None  # submissions/<expected>/... for `judge verify`

    def tests(self) -> list[TestCase]:
        return self.root.all_tests()

    def title(self, language: str = "vi") -> str:
        return self.names.get(language) or next(iter(self.names.values()), self.code)
