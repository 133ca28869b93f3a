"""Writes the tests of CAPSO (Themis layout, CAPSO.INP/CAPSO.OUT). Run: python generator.py"""
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent


def solve(s: int, a: list[int]) -> str:
    seen: dict[int, int] = {}
    for j, x in enumerate(a, 1):
        if s - x in seen:
            return f"{seen[s - x]} {j}\n"
        seen.setdefault(x, j)
    return "-1\n"


rng = random.Random(11)
big = rng.sample(range(1, 10**9), 40000)
big_s = big[-1] + big[-2]
CASES = [
    (9, [2, 7, 11, 15, 4, 5]),
    (10, [5, 1, 5]),
    (100, [1, 2, 3]),
    (6, [3, 3, 3, 3]),
    (0, [rng.randint(-1000, 1000) for _ in range(500)]),
    (big_s, big),
]
for i, (s, a) in enumerate(CASES, 1):
    d = HERE / f"Test{i:02d}"
    d.mkdir(exist_ok=True)
    (d / "CAPSO.INP").write_text(f"{len(a)} {s}\n{' '.join(map(str, a))}\n")
    (d / "CAPSO.OUT").write_text(solve(s, a))
