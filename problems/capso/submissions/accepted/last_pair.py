# Finds a different pair than the judge (scans from the right): the checker must accept it.
with open("CAPSO.INP") as f:
    n, s = map(int, f.readline().split())
    a = list(map(int, f.readline().split()))
pos = {}
ans = "-1"
for i in range(n - 1, -1, -1):
    if s - a[i] in pos:
        ans = f"{i + 1} {pos[s - a[i]] + 1}"
        break
    pos.setdefault(a[i], i)
with open("CAPSO.OUT", "w") as f:
    print(ans, file=f)
