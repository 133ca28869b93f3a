with open("CHIAKEO.INP") as f:
    n, k = map(int, f.read().split())
with open("CHIAKEO.OUT", "w") as f:
    f.write(f"{n // k} {n % k}\n")
