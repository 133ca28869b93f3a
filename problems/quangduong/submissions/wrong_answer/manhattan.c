/* Adds |dx| + |dy| instead of the straight-line length. */
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    int n;
    long long dx, dy, total = 0;
    if (scanf("%d", &n) != 1) return 0;
    for (int i = 0; i < n; i++) {
        scanf("%lld %lld", &dx, &dy);
        total += llabs(dx) + llabs(dy);
    }
    printf("%lld\n", total);
    return 0;
}
