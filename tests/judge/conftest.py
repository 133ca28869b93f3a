"""Fixtures of the judge tests: the real Docker engine and judge image, hand-built problems, and a
check after every sandbox test that no container and no contestant process is left behind."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from judge.judging import judge_submission
from judge.problem import Grading, Problem, TestCase, TestGroup
from judge.sandbox import (COMPILER_UID, CONTESTANT_UID, CREATED_IDS, leftover_containers,
                           wait_for_removal)

ROOT = Path(__file__).resolve().parents[2]


def sandbox_processes() -> list[str]:
    """Host processes running as the contestant or compiler uid (there is no user namespace, so
    the container's uids are the host's) inside a container this test process created, or outside
    any container. (Other judge processes may legitimately be running on the machine.)"""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                status = f.read()
            with open(f"/proc/{pid}/cgroup") as f:
                cgroup = f.read()
        except OSError:
            continue
        uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
        if not {int(x) for x in uid_line.split()[1:]} & {CONTESTANT_UID, COMPILER_UID}:
            continue
        in_docker = "docker" in cgroup
        if not in_docker or any(cid in cgroup for cid in CREATED_IDS):
            found.append(f"{pid}: {status.splitlines()[0]}")
    return found


@pytest.fixture
def sandbox_env(judge_image):
    """Use in every test that starts containers: afterwards nothing may be left behind."""
    yield judge_image
    created = set(CREATED_IDS)
    wait_for_removal()
    CREATED_IDS.update(created)  # sandbox_processes() looks for processes in these cgroups
    leftovers = leftover_containers()
    assert not leftovers, f"containers left behind: {[c.name for c in leftovers]}"
    assert not sandbox_processes(), f"processes left behind: {sandbox_processes()}"


@pytest.fixture
def make_problem(tmp_path):
    """make_problem([(input, answer), ...], **Problem fields) -> a flat problem whose tests all run
    (on_reject=continue), tests named t01, t02, ..."""
    counter = iter(range(10**6))

    def make(tests, *, input_file=None, output_file=None, **fields) -> Problem:
        d = tmp_path / f"problem{next(counter)}"
        d.mkdir()
        cases = []
        for i, (inp, ans) in enumerate(tests, 1):
            ip, ap = d / f"t{i:02d}.in", d / f"t{i:02d}.ans"
            ip.write_bytes(inp.encode() if isinstance(inp, str) else inp)
            ap.write_bytes(ans.encode() if isinstance(ans, str) else ans)
            cases.append(TestCase(name=f"t{i:02d}", input_path=ip, answer_path=ap, dir=d))
        root = TestGroup(name="", tests=cases, grading=Grading(on_reject="continue"))
        fields.setdefault("code", "T")
        return Problem(path=d, format="test", root=root, input_file=input_file,
                       output_file=output_file, **fields)

    return make


@pytest.fixture
def aplusb(make_problem):
    """a+b with two tests."""
    return make_problem([("1 2\n", "3\n"), ("2000000000 2000000000\n", "4000000000\n")])


@pytest.fixture
def judge(sandbox_env):
    """judge(problem, source, language, **kw) = judge_submission, in a test that audits leftovers."""

    def run(problem, source, language, **kw):
        return judge_submission(problem, source, language, **kw)

    return run
