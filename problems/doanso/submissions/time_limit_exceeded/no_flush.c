/* Never flushes: its question stays in the buffer, both sides wait for each other. */
#include <stdio.h>
int main(void) {
    long long n;
    char r[4];
    if (scanf("%lld", &n) != 1) return 0;
    printf("? %lld\n", (n + 1) / 2);
    if (scanf("%3s", r) != 1) return 0;
    return 0;
}
