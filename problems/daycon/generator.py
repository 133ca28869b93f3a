"""Writes the test data of DAYCON (Kattis layout, two subtasks). Run: python generator.py"""
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data"


def solve(a: list[int]) -> int:
    best = cur = a[0]
    for x in a[1:]:
        cur = max(x, cur + x)
        best = max(best, cur)
    return best


def write(path: Path, a: list[int]) -> None:
    path.with_suffix(".in").write_text(f"{len(a)}\n{' '.join(map(str, a))}\n")
    path.with_suffix(".ans").write_text(f"{solve(a)}\n")


rng = random.Random(2026)
write(HERE / "sample/1", [3, -5, 4, -1, 2, -6, 1])
write(HERE / "secret/1-small/01", [rng.randint(-50, 50) for _ in range(100)])
write(HERE / "secret/1-small/02", [-7, -3, -9, -4])
write(HERE / "secret/1-small/03", [5])
write(HERE / "secret/2-large/01", [rng.randint(-10**4, 10**4) for _ in range(30000)])
write(HERE / "secret/2-large/02", [-rng.randint(1, 10**9) for _ in range(30000)])
