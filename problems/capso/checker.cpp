// Themis-style checker for CAPSO.
// stdin: line 1 = folder of the test (CAPSO.INP, CAPSO.OUT = the judge's answer),
//        line 2 = folder holding the contestant's CAPSO.OUT.
// stdout: a message, then the score ratio (0 or 1) on the last line.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

static void verdict(const std::string &msg, double ratio) {
    std::cout << msg << "\n" << ratio << "\n";
    std::exit(0);
}

int main() {
    std::string testDir, outDir;
    std::getline(std::cin, testDir);
    std::getline(std::cin, outDir);
    std::ifstream inp(testDir + "/CAPSO.INP"), ans(testDir + "/CAPSO.OUT"), out(outDir + "/CAPSO.OUT");
    if (!inp || !ans) verdict("checker: cannot open the test files", 0);
    if (!out) verdict("no CAPSO.OUT", 0);
    long long n, s;
    inp >> n >> s;
    std::vector<long long> a(n + 1);
    for (long long i = 1; i <= n; i++) inp >> a[i];
    long long judge;
    ans >> judge;
    std::string line, rest;
    std::getline(out, line);
    std::istringstream ls(line);
    long long i = 0, j = 0;
    if (!(ls >> i)) verdict("empty or malformed output", 0);
    if (i == -1) {
        if (ls >> rest) verdict("extra data after -1", 0);
        if (judge != -1) verdict("a pair exists but -1 was printed", 0);
        verdict("correct: no pair", 1);
    }
    if (!(ls >> j) || (ls >> rest)) verdict("expected two positions", 0);
    if (judge == -1) verdict("no pair exists", 0);
    if (!(1 <= i && i < j && j <= n)) verdict("positions out of range or not i < j", 0);
    if (a[i] + a[j] != s) verdict("the two numbers do not add up to S", 0);
    verdict("correct", 1);
}
