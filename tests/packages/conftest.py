"""Fixtures of the package-layer tests: small packages written into tmp_path."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBLEMS = REPO / "problems"
DEMO_PROBLEMS = sorted(p.name for p in PROBLEMS.iterdir() if p.is_dir() and not p.name.startswith("."))


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create files (relative path -> content) under root; return root."""
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content)
    return root


@pytest.fixture
def make_package(tmp_path):
    counter = iter(range(1, 1000))

    def make(files: dict[str, str | bytes], name: str | None = None) -> Path:
        return write_tree(tmp_path / (name or f"pkg{next(counter)}"), files)

    return make


# A Kattis legacy package shaped like the spec's examples: sample + secret groups, testdata.yaml.
KATTIS_GROUPS = {
    "problem.yaml": "name: Add Two\ntype: scoring\nlimits:\n  memory: 128\n  time_multiplier: 3\n",
    "problem_statement/problem.en.tex": "\\problemname{Add Two}\nAdd two numbers.\n",
    "problem_statement/problem.vi.md": "# Cộng hai số\nCộng hai số.\n",
    "data/testdata.yaml": "on_reject: continue\ngrader_flags: ignore_sample sum\n",
    "data/sample/1.in": "1 2\n",
    "data/sample/1.ans": "3\n",
    "data/secret/testdata.yaml": "on_reject: continue\ngrader_flags: sum accept_if_any_accepted\nrange: 0 100\n",
    "data/secret/g1/testdata.yaml": "on_reject: break\ngrader_flags: min\naccept_score: 40\n",
    "data/secret/g1/01.in": "1 1\n",
    "data/secret/g1/01.ans": "2\n",
    "data/secret/g1/02.in": "2 2\n",
    "data/secret/g1/02.ans": "4\n",
    "data/secret/g2/testdata.yaml": "on_reject: break\ngrader_flags: min\naccept_score: 60\n",
    "data/secret/g2/01.in": "100 200\n",
    "data/secret/g2/01.ans": "300\n",
}


@pytest.fixture
def docker_env(judge_image):
    """For tests that start containers: afterwards none of ours may be left behind."""
    from judge import sandbox

    yield judge_image
    if hasattr(sandbox, "wait_for_removal"):
        sandbox.wait_for_removal()  # close() returns before the engine has removed the container
    left = sandbox.leftover_containers()  # only this process's containers
    assert not left, f"containers left behind: {[c.name for c in left]}"


@pytest.fixture
def demo_copy(tmp_path):
    """A private copy of a demo problem (verify may write .judge-timelimit into it)."""
    import shutil

    def copy(name: str, drop_timelimit: bool = True) -> Path:
        dest = tmp_path / name
        shutil.copytree(PROBLEMS / name, dest)
        if drop_timelimit:
            (dest / ".judge-timelimit").unlink(missing_ok=True)
        return dest

    return copy
