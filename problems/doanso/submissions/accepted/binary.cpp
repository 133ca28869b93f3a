#include <cstdio>
int main() {
    long long n;
    if (std::scanf("%lld", &n) != 1) return 0;
    long long lo = 1, hi = n;
    while (lo <= hi) {
        long long mid = (lo + hi) / 2;
        std::printf("? %lld\n", mid);
        std::fflush(stdout);
        char r[4];
        if (std::scanf("%3s", r) != 1) return 0;
        if (r[0] == '=') return 0;
        if (r[0] == '<') hi = mid - 1; else lo = mid + 1;
    }
}
