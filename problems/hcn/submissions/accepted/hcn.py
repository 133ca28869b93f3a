a, b = map(int, open("hcn.inp").read().split())
with open("hcn.out", "w") as out:
    print(2 * (a + b), file=out)
    print(a * b, file=out)
