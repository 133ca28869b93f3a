"""Nothing a test leaves may reach the next test of the same submission (same container).

Each submission below runs a hostile test first, then tests that only pass if the container is
as clean as before it: an empty work dir (besides the input copy), no SysV IPC object, no process,
no stale output file.
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.docker

CHAIN = """#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static int entries(const char *path) {
    DIR *d = opendir(path); int n = 0; struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d); return n;
}
int main(void) {
    char w[32]; FILE *in = fopen("TASK.INP", "r");
    if (!in || fscanf(in, "%31s", w) != 1) return 3;
    FILE *out;
    if (!strcmp(w, "attack")) {
        /* 50,000 nested directories in the work dir and in /tmp, some of them chmod 000 */
        const char *roots[2] = {".", "/tmp"};
        for (int r = 0; r < 2; r++) {
            if (chdir(r ? "/tmp" : "/box")) return 4;
            for (int i = 0; i < 50000; i++) {
                if (mkdir("d", 0700) || chdir("d")) return 5;
                if (i % 1000 == 999) { FILE *f = fopen("x", "w"); fputs("left", f); fclose(f); }
            }
            if (chdir(r ? "/tmp" : "/box")) return 6;
            chmod("d", 0);
            (void)roots;
        }
        out = fopen("/box/TASK.OUT", "w");
        fputs("none\\n", out);
        return 0;
    }
    /* a later test: only the input copy may be in the work dir, nothing of ours in /tmp */
    int box = entries("."), tmp = entries("/tmp");
    out = fopen("TASK.OUT", "w");
    fprintf(out, "%d %d\\n", box, tmp);
    return 0;
}
"""


def test_deep_directory_chain_does_not_survive(judge, make_problem):
    problem = make_problem([("attack\n", "none\n"), ("check\n", "1 0\n"), ("check\n", "1 0\n")],
                           input_file="TASK.INP", output_file="TASK.OUT")
    res = judge(problem, CHAIN, "c", time_limit=5)
    assert [t.verdict for t in res.tests] == ["AC", "AC", "AC"], res.to_dict()


IPC = """
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT, IPC_SET, IPC_STAT = 0, 0o1000, 1, 2

class IpcPerm(ctypes.Structure):  # struct ipc64_perm of x86-64 / arm64 (glibc's struct ipc_perm)
    _fields_ = [("key", ctypes.c_int), ("uid", ctypes.c_uint), ("gid", ctypes.c_uint),
                ("cuid", ctypes.c_uint), ("cgid", ctypes.c_uint), ("mode", ctypes.c_ushort),
                ("pad1", ctypes.c_ushort), ("seq", ctypes.c_ushort), ("pad2", ctypes.c_ushort),
                ("unused", ctypes.c_ulong * 2)]

def give_away(ctl, ident, size):
    buf = ctypes.create_string_buffer(size)
    if ctl(ident, IPC_STAT, buf) != 0:
        raise OSError(ctypes.get_errno(), "IPC_STAT")
    perm = IpcPerm.from_buffer(buf)
    perm.uid, perm.mode = 0, 0o666   # hand the object to root: its owner is no longer us
    if ctl(ident, IPC_SET, buf) != 0:
        raise OSError(ctypes.get_errno(), "IPC_SET")

w = sys.stdin.readline().split()[0]
if w == "attack":
    shm = libc.shmget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0o600)
    msg = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
    sem = libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600)
    give_away(libc.shmctl, shm, 512)
    give_away(libc.msgctl, msg, 512)
    give_away(lambda i, c, b: libc.semctl(i, 0, c, b), sem, 512)
    if os.fork() == 0:          # a daemon: a new session, its parent gone
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    print("none")
else:
    left = [name for name in ("shm", "msg", "sem")
            if len(open("/proc/sysvipc/" + name).read().splitlines()) > 1]
    procs = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
    print("ipc:" + (",".join(left) or "clean"), "processes:" + ("clean" if not procs else str(len(procs))))
"""


def test_sysv_ipc_given_to_another_owner_and_daemons_do_not_survive(judge, make_problem):
    problem = make_problem([("attack\n", "none\n"), ("check\n", "ipc:clean processes:clean\n")])
    res = judge(problem, IPC, "python3")
    assert [t.verdict for t in res.tests] == ["AC", "AC"], res.to_dict()


OUTPUT_PATH = """
import os, sys
w = open("TASK.INP").read().split()
if w[0] == "attack":
    # leave the output path taken: a directory the program locked, an answer elsewhere, a symlink,
    # and the work dir unusable
    os.mkdir("TASK.OUT"); os.mkdir("TASK.OUT/x"); os.chmod("TASK.OUT/x", 0); os.chmod("TASK.OUT", 0)
    open("/tmp/answer", "w").write("42\\n")
    os.symlink("/tmp/answer", "ANSWER")
    print("none")
    sys.stdout.flush()
    os.chmod("/box", 0)          # and the work dir itself closed
elif w[0] == "lazy":
    pass                         # writes nothing: no file left by test 1 may stand in for it
else:
    open("TASK.OUT", "w").write(str(int(w[0]) + int(w[1])) + "\\n")
"""


def test_output_path_left_taken_is_not_reused(judge, make_problem):
    problem = make_problem([("attack\n", "none\n"), ("20 22\n", "42\n"), ("lazy\n", "42\n")],
                           input_file="TASK.INP", output_file="TASK.OUT")
    res = judge(problem, OUTPUT_PATH, "python3")
    # test 1 printed "none" on stdout (TASK.OUT was not a file); test 2 could create its
    # TASK.OUT; test 3 wrote nothing and must not be judged on anything test 1 or 2 left
    assert [t.verdict for t in res.tests] == ["AC", "AC", "WA"], res.to_dict()
