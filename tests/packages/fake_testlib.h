// A tiny stand-in for testlib.h, written for these tests only (the real testlib is not shipped).
// It provides the subset our test checker uses: registerTestlibCmd, inf/ouf/ans with readInt /
// readLong / readDouble / readToken / seekEof, quitf(_ok|_wa|_pe|_fail, ...) and quitp(points, ...).
// Exit codes follow testlib's convention: 0 ok, 1 wrong answer, 2 presentation error, 3 fail,
// 7 partial points ("points X" printed).
#pragma once
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>

enum TResult { _ok = 0, _wa = 1, _pe = 2, _fail = 3 };

struct InStream {
    FILE *f = nullptr;
    bool answerLike = false;
    void open(const char *path, bool judgeFile);
    std::string readToken();
    long long readLong() { return std::strtoll(readToken().c_str(), nullptr, 10); }
    int readInt() { return (int)readLong(); }
    double readDouble() { return std::strtod(readToken().c_str(), nullptr); }
    bool seekEof() {
        int c;
        while ((c = std::fgetc(f)) != EOF)
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') { std::ungetc(c, f); return false; }
        return true;
    }
};

inline InStream inf, ouf, ans;

[[noreturn]] inline void quitf(TResult r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::exit((int)r);
}

[[noreturn]] inline void quitp(double points, const char *fmt, ...) {
    std::fprintf(stderr, "points %.6f ", points);
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
    std::exit(7);
}

inline void InStream::open(const char *path, bool judgeFile) {
    answerLike = judgeFile;
    f = std::fopen(path, "r");
    if (!f) quitf(_fail, "cannot open %s", path);
}

inline std::string InStream::readToken() {
    std::string s;
    int c;
    while ((c = std::fgetc(f)) != EOF && (c == ' ' || c == '\n' || c == '\r' || c == '\t')) {}
    while (c != EOF && c != ' ' && c != '\n' && c != '\r' && c != '\t') { s += (char)c; c = std::fgetc(f); }
    if (s.empty()) quitf(answerLike ? _fail : _pe, "unexpected end of file");
    return s;
}

inline void registerTestlibCmd(int argc, char **argv) {
    if (argc < 4) quitf(_fail, "usage: checker input output answer");
    inf.open(argv[1], true);
    ouf.open(argv[2], false);
    ans.open(argv[3], true);
}
