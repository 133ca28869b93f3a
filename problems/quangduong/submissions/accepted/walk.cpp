#include <cmath>
#include <cstdio>
int main() {
    int n;
    std::scanf("%d", &n);
    double total = 0;
    for (int i = 0; i < n; i++) {
        double dx, dy;
        std::scanf("%lf %lf", &dx, &dy);
        total += std::sqrt(dx * dx + dy * dy);
    }
    std::printf("%.9f\n", total);
}
