// Forgets to double the sum of the sides.
#include <fstream>
int main() {
    std::ifstream in("hcn.inp");
    std::ofstream out("hcn.out");
    long long a, b;
    in >> a >> b;
    out << a + b << "\n" << a * b << "\n";
}
