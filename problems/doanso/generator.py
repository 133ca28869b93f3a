"""Writes the test data of DOANSO (Kattis 2023-07 interactive). Each .in holds "N x"."""
from pathlib import Path

HERE = Path(__file__).resolve().parent / "data"
CASES = {"sample/1": (10, 7), "secret/01": (1, 1), "secret/02": (1000, 1), "secret/03": (1000000, 999999),
         "secret/04": (1000000, 424242)}
for name, (n, x) in CASES.items():
    (HERE / f"{name}.in").write_text(f"{n} {x}\n")
    (HERE / f"{name}.ans").write_text(f"{x}\n")
(HERE / "sample/1.interaction").write_text("<10\n>? 5\n<>\n>? 8\n<<\n>? 7\n<=\n")
