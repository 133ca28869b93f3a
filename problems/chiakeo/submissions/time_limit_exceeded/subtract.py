# Hands out the sweets one round at a time: far too slow for N = 10^18.
with open("CHIAKEO.INP") as f:
    n, k = map(int, f.read().split())
rounds = 0
while n >= k:
    n -= k
    rounds += 1
with open("CHIAKEO.OUT", "w") as f:
    f.write(f"{rounds} {n}\n")
