"""Writes the test data of QUANGDUONG (Kattis layout). Run: python generator.py"""
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data"


def write(path: Path, moves: list[tuple[int, int]]) -> None:
    total = math.fsum(math.hypot(dx, dy) for dx, dy in moves)
    lines = [str(len(moves))] + [f"{dx} {dy}" for dx, dy in moves]
    path.with_suffix(".in").write_text("\n".join(lines) + "\n")
    path.with_suffix(".ans").write_text(f"{total:.10f}\n")


rng = random.Random(7)
write(HERE / "sample/1", [(3, 4), (-1, 0), (1, 1)])
write(HERE / "secret/01", [(0, 0)])
write(HERE / "secret/02", [(rng.randint(-100, 100), rng.randint(-100, 100)) for _ in range(50)])
write(HERE / "secret/03", [(rng.randint(-10**6, 10**6), rng.randint(-10**6, 10**6)) for _ in range(1000)])
write(HERE / "secret/04", [(1, 1)] * 7)
