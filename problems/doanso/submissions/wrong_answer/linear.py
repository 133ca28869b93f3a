# Asks 1, 2, 3, ...: far more questions than allowed when x is large.
n = int(input())
for y in range(1, n + 1):
    print("?", y, flush=True)
    if input().strip() == "=":
        break
