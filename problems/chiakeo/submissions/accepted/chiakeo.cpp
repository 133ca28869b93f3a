#include <cstdio>
int main() {
    freopen("CHIAKEO.INP", "r", stdin);
    freopen("CHIAKEO.OUT", "w", stdout);
    long long n, k;
    if (scanf("%lld %lld", &n, &k) != 2) return 0;
    printf("%lld %lld\n", n / k, n % k);
    return 0;
}
