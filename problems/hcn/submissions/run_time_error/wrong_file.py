# Opens a file that does not exist (upper-case name): crashes with FileNotFoundError.
a, b = map(int, open("HCN.INP_missing").read().split())
print(2 * (a + b))
print(a * b)
