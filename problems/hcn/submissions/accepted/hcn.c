#include <stdio.h>
int main(void) {
    long long a, b;
    freopen("hcn.inp", "r", stdin);
    freopen("hcn.out", "w", stdout);
    scanf("%lld %lld", &a, &b);
    printf("%lld\n%lld\n", 2 * (a + b), a * b);
    return 0;
}
