#include <bits/stdc++.h>
using namespace std;
int main() {
    freopen("CAPSO.INP", "r", stdin);
    freopen("CAPSO.OUT", "w", stdout);
    int n;
    long long s;
    scanf("%d %lld", &n, &s);
    unordered_map<long long, int> seen;
    seen.reserve(2 * n);
    for (int j = 1; j <= n; j++) {
        long long x;
        scanf("%lld", &x);
        auto it = seen.find(s - x);
        if (it != seen.end()) { printf("%d %d\n", it->second, j); return 0; }
        seen.emplace(x, j);
    }
    printf("-1\n");
}
