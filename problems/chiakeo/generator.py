"""Writes the tests of CHIAKEO (Themis layout: TestNN/CHIAKEO.INP + CHIAKEO.OUT). Run: python generator.py"""
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = [(17, 5), (0, 3), (12, 12), (7, 10), (10**18, 7), (999999999999999999, 1000000000)]


def solve(n: int, k: int) -> str:
    return f"{n // k} {n % k}\n"


for i, (n, k) in enumerate(CASES, 1):
    d = HERE / f"Test{i:02d}"
    d.mkdir(exist_ok=True)
    (d / "CHIAKEO.INP").write_text(f"{n} {k}\n")
    (d / "CHIAKEO.OUT").write_text(solve(n, k))
