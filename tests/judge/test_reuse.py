"""Containers kept between submissions (judge.sandbox.acquire/release): one submission leaves
everything it can -- files, setsid daemons, System V and POSIX IPC objects, memory in tmpfs and
memfd, its source in /prog, a changed environment and limits -- and the next submission, another
contestant's, judged in the SAME container, sees none of it and gets its correct verdict. Faults:
a container that dies, hangs or is killed from outside is replaced and the submission retried."""
from __future__ import annotations

import os
import threading

import pytest

from judge import sandbox
from judge.sandbox import CREATED_IDS, CONTESTANT_UID, RunLimits, SandboxError

pytestmark = pytest.mark.docker

ATTACK = r"""#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>
static void put(const char *path, const char *text) {
    FILE *f = fopen(path, "w"); if (f) { fputs(text, f); fclose(f); }
}
int main(void) {
    /* files everywhere the contestant can write, some hidden and locked */
    put("/box/.profile", "export EVIL=1\n"); put("/box/left", "SECRET_A");
    put("/tmp/.bashrc", "export EVIL=1\n"); put("/tmp/left", "SECRET_A");
    mkdir("/box/locked", 0700); put("/box/locked/x", "SECRET_A"); chmod("/box/locked", 0);
    /* data attached to the work directory itself, which outlives the wipe of its entries */
    if (setxattr("/box", "user.left", "SECRET_A", 8, 0) != 0) { puts("setxattr failed"); return 1; }
    /* 8 MiB in /dev/shm and 32 MiB in a memfd held by a daemon */
    int shm = open("/dev/shm/left", O_CREAT | O_WRONLY, 0600);
    char *block = malloc(1 << 20); memset(block, 'A', 1 << 20);
    for (int i = 0; i < 8; i++) if (write(shm, block, 1 << 20) < 0) break;
    int mfd = memfd_create("left", 0);
    for (int i = 0; i < 32; i++) if (write(mfd, block, 1 << 20) < 0) break;
    /* POSIX and System V IPC, one System V segment handed to another uid */
    mq_open("/left", O_CREAT | O_RDWR, 0600, NULL);
    int id = shmget(0x5EC7, 1 << 20, IPC_CREAT | 0666);
    struct shmid_ds ds; shmctl(id, IPC_STAT, &ds); ds.shm_perm.uid = 1501; shmctl(id, IPC_SET, &ds);
    msgget(0x5EC8, IPC_CREAT | 0666); semget(0x5EC9, 1, IPC_CREAT | 0666);
    /* changed limits and environment, then a setsid daemon that keeps everything alive */
    struct rlimit rl = {8, 8}; setrlimit(RLIMIT_NOFILE, &rl); setenv("EVIL", "1", 1);
    if (fork() == 0) {
        setsid(); signal(SIGHUP, SIG_IGN);
        if (fork() == 0) { for (;;) { put("/tmp/daemon", "SECRET_A"); usleep(1000); } }
        _exit(0);
    }
    puts("ok");
    return 0;
}
"""

SECRET_PYTHON = "# SECRET_A: this contestant's source\nprint('ok')\n"

# Another contestant: prints what it can see of the previous submissions. Its own source builds
# the marker at run time, so that its own binary in /prog never matches it.
PROBE = r"""#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/xattr.h>
#include <unistd.h>
static char marker[16];
static int entries(const char *path, int skip_own) {
    DIR *d = opendir(path); int n = 0; struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (skip_own && (!strcmp(e->d_name, "main") || !strcmp(e->d_name, "main.c"))) continue;
        n++;
    }
    closedir(d); return n;
}
static int has_marker(const char *dir) {
    DIR *d = opendir(dir); struct dirent *e; int found = 0;
    if (!d) return 0;
    while ((e = readdir(d))) {
        char path[512]; snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb"); if (!f) continue;
        static char buf[1 << 20]; size_t n = fread(buf, 1, sizeof buf - 1, f); fclose(f);
        if (memmem(buf, n, marker, strlen(marker))) found = 1;
    }
    closedir(d); return found;
}
static int ipc_objects(void) {
    const char *files[3] = {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem"};
    int n = 0; char line[512];
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(files[k], "r"); int first = 1;
        if (!f) return -1;
        while (fgets(line, sizeof line, f)) { if (!first) n++; first = 0; }
        fclose(f);
    }
    return n;
}
int main(void) {
    strcpy(marker, "SECRET"); strcat(marker, "_A");
    int procs = 0; DIR *d = opendir("/proc"); struct dirent *e;
    while ((e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid > 1 && pid != getpid()) procs++;
    }
    closedir(d);
    struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl);
    int secret = has_marker("/prog") + has_marker("/box") + has_marker("/tmp") + has_marker("/dev/shm");
    printf("%d %d %d %d %d %d %d %d %ld %d %ld\n", entries("/box", 0), entries("/tmp", 0),
           entries("/dev/shm", 0), entries("/dev/mqueue", 0), entries("/prog", 1), secret, procs,
           ipc_objects(), (long)rl.rlim_cur, getenv("EVIL") != NULL, (long)listxattr("/box", NULL, 0));
    /* and it really has its memory: 200 MiB touched under a 256 MiB limit */
    size_t big = 200u << 20; volatile char *p = malloc(big);
    for (size_t i = 0; i < big; i += 4096) p[i] = 1;
    return p[big - 4096] == 1 ? 0 : 1;
}
"""
# box tmp shm mqueue foreign-files-in-/prog secret processes ipc nofile EVIL xattrs-of-/box: all
# clean, the request's own RLIMIT_NOFILE (64, judge.sandbox.RunLimits.nofile)
CLEAN = "0 0 0 0 0 0 0 0 64 0 0\n"


def test_next_submission_in_the_same_container_sees_nothing_of_the_previous(judge, make_problem,
                                                                             monkeypatch):
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "10")
    attack = make_problem([("x\n", "ok\n")] * 2)
    probe = make_problem([("x\n", CLEAN)], memory_limit=256)
    CREATED_IDS.clear()
    assert judge(attack, ATTACK, "c").verdict == "AC"
    assert judge(attack, SECRET_PYTHON, "python3").verdict == "AC"  # leaves /prog/main.py
    res = judge(probe, PROBE, "c")
    assert res.verdict == "AC", res.to_dict()
    assert len(CREATED_IDS) == 1  # all three in one container: the reuse was tested
    assert 200 * 1024 <= res.tests[0].memory < 216 * 1024  # KiB: its own 200 MiB, nothing else


def test_without_reuse_every_submission_gets_a_fresh_container(judge, make_problem, monkeypatch):
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "0")
    attack = make_problem([("x\n", "ok\n")])
    probe = make_problem([("x\n", CLEAN)], memory_limit=256)
    CREATED_IDS.clear()
    assert judge(attack, ATTACK, "c").verdict == "AC"
    assert judge(probe, PROBE, "c").verdict == "AC"
    assert len(CREATED_IDS) == 2


def test_container_is_replaced_after_n_submissions(judge, make_problem, monkeypatch):
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "2")
    problem = make_problem([("x\n", "ok\n")])
    CREATED_IDS.clear()
    for _ in range(5):
        assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    assert len(CREATED_IDS) == 3  # 2 + 2 + 1


def test_reset_proves_a_used_container_clean(sandbox_env):
    """At the sandbox level, without the per-run wipe of /box: the reset still empties it, and
    its reply counts what is left (nothing)."""
    box = sandbox.acquire(memory_mib=256, box_mib=64)
    try:
        out = box.execute(["/bin/sh", "-c", "echo x > /box/f; mkdir /box/d; chmod 0 /box/d; "
                                            "chmod 777 /box; echo x > /tmp/f"],
                          uid=CONTESTANT_UID, cwd="/box", limits=RunLimits(cpu=5, wall=10))
        assert out.exited and out.exit_code == 0
        reply = box.reset()
        assert (reply["clean"], reply["procs"], reply["files"], reply["ipc"], reply["dirs"]) == \
            (True, 0, 0, 0, True)
        out = box.execute(["/bin/sh", "-c", "ls -A /box /tmp | wc -w; stat -c %a /box"],
                          uid=CONTESTANT_UID, cwd="/", limits=RunLimits(cpu=5, wall=10),
                          stdout="output")
        assert box.read_file("output", 100) == b"2\n755\n"  # the two headings "/box:" "/tmp:"
    finally:
        box.discard()


def test_idle_container_killed_from_outside_is_replaced(judge, make_problem, monkeypatch):
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "10")
    problem = make_problem([("x\n", "ok\n")])
    CREATED_IDS.clear()
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    (cid,) = CREATED_IDS
    sandbox.docker_client().containers.get(cid).kill()
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    assert len(CREATED_IDS) == 2


def test_idle_container_hung_from_outside_is_replaced_after_the_reset_timeout(judge, make_problem, monkeypatch):
    """A kept container that hangs while idle (frozen with `docker pause`): the reset gets no answer
    within RESET_TIMEOUT, the container is discarded and the submission judged in a fresh one."""
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "10")
    monkeypatch.setattr(sandbox, "RESET_TIMEOUT", 2.0)
    problem = make_problem([("x\n", "ok\n")])
    CREATED_IDS.clear()
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    (cid,) = CREATED_IDS
    sandbox.docker_client().containers.get(cid).pause()
    res = judge(problem, SECRET_PYTHON, "python3")
    assert res.verdict == "AC" and len(CREATED_IDS) == 2
    sandbox.wait_for_removal()
    assert cid not in {c.id for c in sandbox.docker_client().containers.list(all=True)}


def test_image_change_replaces_the_container(judge, make_problem, monkeypatch):
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "10")
    problem = make_problem([("x\n", "ok\n")])
    CREATED_IDS.clear()
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    monkeypatch.setattr(sandbox, "_current_image_id", lambda name: "sha256:rebuilt")
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    assert len(CREATED_IDS) == 2


def test_reset_that_cannot_prove_clean_means_a_fresh_container(judge, make_problem, monkeypatch):
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "10")
    problem = make_problem([("x\n", "ok\n")])
    CREATED_IDS.clear()
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"

    def dirty(self, timeout=60.0):
        raise SandboxError("the container could not be reset: {'clean': false}")

    monkeypatch.setattr(sandbox.Sandbox, "reset", dirty)
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    assert len(CREATED_IDS) == 2


@pytest.mark.parametrize("fault", ["kill", "hang"])
def test_reused_container_failing_mid_submission_is_replaced_and_retried(judge, make_problem,
                                                                         monkeypatch, fault):
    """The second submission's container (the reused one) is killed from outside, or stops
    answering (paused), during its first test: the submission is judged again in a fresh one."""
    monkeypatch.setenv("JUDGE_REUSE_SUBMISSIONS", "10")
    monkeypatch.setattr(sandbox, "PROTOCOL_MARGIN", 3.0)
    problem = make_problem([("x\n", "ok\n")] * 3)
    CREATED_IDS.clear()
    assert judge(problem, SECRET_PYTHON, "python3").verdict == "AC"
    (cid,) = CREATED_IDS
    container = sandbox.docker_client().containers.get(cid)
    hit = threading.Event()

    def progress(result, index, total):
        if index == 0 and not hit.is_set():
            hit.set()
            if fault == "kill":
                container.kill()
            else:
                container.pause()

    try:
        res = judge(problem, SECRET_PYTHON, "python3", on_progress=progress)
    finally:
        if fault == "hang":
            try:
                container.unpause()
            except Exception:
                pass
    assert hit.is_set()
    assert res.verdict == "AC", res.to_dict()
    assert len(CREATED_IDS) == 2
