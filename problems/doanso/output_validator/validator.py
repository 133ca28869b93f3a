#!/usr/bin/env python3
"""Interactive validator for DOANSO (Kattis interface: input answer feedback_dir; stdin/stdout = the
program's stdout/stdin). Exit 42 = accepted, 43 = wrong answer."""
import math
import sys


def finish(code: int, message: str) -> None:
    with open(sys.argv[3].rstrip("/") + "/judgemessage.txt", "w") as f:
        f.write(message + "\n")
    sys.exit(code)


def main() -> None:
    with open(sys.argv[1]) as f:
        n, x = map(int, f.read().split())
    limit = max(1, math.ceil(math.log2(n + 1)))
    try:
        print(n, flush=True)
    except BrokenPipeError:
        finish(43, "the program stopped before reading N")
    asked = 0
    while True:
        line = sys.stdin.readline()
        if not line:
            finish(43, f"the program stopped after {asked} questions without finding the number")
        parts = line.split()
        if len(parts) != 2 or parts[0] != "?" or not parts[1].lstrip("-").isdigit():
            finish(43, f"malformed question {line.strip()[:50]!r}")
        asked += 1
        if asked > limit:
            finish(43, f"more than {limit} questions")
        y = int(parts[1])
        reply = "=" if x == y else ("<" if x < y else ">")
        try:
            print(reply, flush=True)
        except BrokenPipeError:
            finish(43, "the program stopped reading")
        if reply == "=":
            extra = sys.stdin.read(1)
            if extra.strip():
                finish(43, "output after the number was found")
            finish(42, f"found in {asked} questions")


main()
