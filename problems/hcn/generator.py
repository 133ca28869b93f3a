"""Writes the tests of HCN in Themis layout with lower-case names (TestNN/hcn.inp, hcn.out)."""
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = [(3, 5), (1, 1), (10, 2), (7, 7), (1000, 999), (123456, 654321)]

for i, (a, b) in enumerate(CASES, 1):
    d = HERE / f"Test{i:02d}"
    d.mkdir(exist_ok=True)
    (d / "hcn.inp").write_text(f"{a} {b}\n")
    (d / "hcn.out").write_text(f"{2 * (a + b)}\n{a * b}\n")
