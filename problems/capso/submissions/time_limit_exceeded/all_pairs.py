# Tries all pairs: too slow for n = 40000.
with open("CAPSO.INP") as f:
    n, s = map(int, f.readline().split())
    a = list(map(int, f.readline().split()))
ans = "-1"
for i in range(n):
    for j in range(i + 1, n):
        if a[i] + a[j] == s:
            ans = f"{i + 1} {j + 1}"
            break
    else:
        continue
    break
with open("CAPSO.OUT", "w") as f:
    print(ans, file=f)
