"""Memory is counted for the whole sandbox (the container's memory cgroup), not the main process.

Every attack below held 300-400 MiB against a 256 MiB limit and was AC when only the program's
``ru_maxrss`` was watched. Each attack runs as test 1 of a submission whose test 2 is a+b, so the
same container must judge the next test correctly afterwards.

Each attack runs twice (``peak_mode``): with the host resetting the cgroup's peak counter before
every test (a root worker that sees the container's cgroup, as on this host) and with that forced
off (``JUDGE_PEAK_RESET=0``), the fallback of a worker that cannot see it: the runner's 20 ms
polled maximum, and the hard cap set through ``docker update``.
"""
from __future__ import annotations

import pytest

from judge import sandbox
from tests.judge.test_security import run_attack

pytestmark = pytest.mark.docker

LIMIT = 256  # MiB


@pytest.fixture
def attack_then_ab(make_problem):
    return make_problem([("attack\n", "none\n"), ("20 22\n", "42\n")])


@pytest.fixture(params=["host-reset", "polling"])
def peak_mode(request, monkeypatch):
    """Judge with the per-test peak reset by the host, or with the polling fallback forced; after
    the test, every container the submission used must have been in that mode."""
    if request.param == "polling":
        monkeypatch.setenv("JUDGE_PEAK_RESET", "0")
    else:
        monkeypatch.delenv("JUDGE_PEAK_RESET", raising=False)
    used = []
    real_acquire = sandbox.acquire

    def acquire(**kw):
        box = real_acquire(**kw)
        used.append(box.peak_reset)
        return box

    monkeypatch.setattr(sandbox, "acquire", acquire)
    yield request.param
    assert used and all(flag == (request.param == "host-reset") for flag in used), used


def assert_mle(t):
    assert t.verdict == "MLE", t
    assert t.memory > LIMIT * 1024 or "killed" in t.message, t


def test_memfd_pages_count(judge, attack_then_ab, peak_mode):
    # 6 × 60 MiB written into memfds (each under the 64 MiB file-size limit): page cache of
    # unmapped files, never resident in the process
    body = """#include <sys/mman.h>
    void attack(void){ static char buf[1 << 20]; memset(buf, 7, sizeof buf);
        for (int f = 0; f < 6; f++) { int fd = memfd_create("x", 0);
            for (int i = 0; i < 60; i++) if (write(fd, buf, sizeof buf) != sizeof buf) abort(); } }"""
    assert_mle(run_attack(judge, attack_then_ab, body, memory_limit=LIMIT))


def test_sysv_shm_attached_piecewise_counts(judge, attack_then_ab, peak_mode):
    # eight 40 MiB segments, each attached, filled and detached in turn: at most 40 MiB resident
    body = """#include <sys/ipc.h>
    #include <sys/shm.h>
    void attack(void){ for (int i = 0; i < 8; i++) {
        int id = shmget(IPC_PRIVATE, 40 << 20, IPC_CREAT | 0600); if (id < 0) abort();
        char *p = shmat(id, NULL, 0); if (p == (void *)-1) abort();
        memset(p, 1, 40 << 20); shmdt(p); } }"""
    assert_mle(run_attack(judge, attack_then_ab, body, memory_limit=LIMIT))


def test_children_each_under_the_limit_count_together(judge, attack_then_ab, peak_mode):
    # four children of 100 MiB each, alive at the same time: 400 MiB in all
    body = """char *volatile keep;
    void attack(void){ int p[2]; pipe(p);
        for (int i = 0; i < 4; i++) if (fork() == 0) { char *m = malloc(100 << 20);
            memset(m, 1, 100 << 20); keep = m; write(p[1], "k", 1); pause(); _exit(0); }
        char c; for (int i = 0; i < 4; i++) read(p[0], &c, 1); }"""
    assert_mle(run_attack(judge, attack_then_ab, body, memory_limit=LIMIT, time_limit=2))


def test_child_resetting_its_peak_counter_counts(judge, attack_then_ab, peak_mode):
    # a child touches 300 MiB, frees it, resets its high-water mark and exits: the parent's
    # wait4 then reports a small ru_maxrss
    body = """#include <sys/mman.h>
    #include <fcntl.h>
    void attack(void){ if (fork() == 0) {
            char *m = mmap(NULL, 300 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            memset(m, 1, 300 << 20); munmap(m, 300 << 20);
            int fd = open("/proc/self/clear_refs", O_WRONLY); write(fd, "5", 1); close(fd);
            _exit(0); }
        wait(NULL); }"""
    assert_mle(run_attack(judge, attack_then_ab, body, memory_limit=LIMIT))


JAVA_OFF_HEAP = """import java.nio.ByteBuffer;
import java.util.*;
public class Main {
    static List<ByteBuffer> keep = new ArrayList<>();
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        String w = in.next();
        if (w.equals("attack")) {
            // 240 MiB of direct buffers (outside the heap) + a 120 MiB array in the heap
            for (int i = 0; i < 6; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(40 << 20);
                for (int j = 0; j < (40 << 20); j += 4096) b.put(j, (byte) 1);
                keep.add(b);
            }
            byte[] heap = new byte[120 << 20];
            for (int j = 0; j < heap.length; j += 4096) heap[j] = 1;
            System.out.println(keep.size() > 0 && heap[4096] == 1 ? "none" : "x");
            return;
        }
        long a = Long.parseLong(w), b = in.nextLong();
        System.out.println(a + b);
    }
}
"""


def test_java_memory_outside_the_heap_counts(judge, attack_then_ab, peak_mode):
    t = run_attack(judge, attack_then_ab, JAVA_OFF_HEAP, language="java", memory_limit=LIMIT,
                   time_limit=3)
    assert t.verdict == "MLE", t
    # the figure includes the JVM allowance: MLE means over 256 + 64 MiB, or killed
    assert t.memory > (LIMIT + 64) * 1024 or "killed" in t.message, t


def test_honest_programs_report_the_figure_the_verdict_used(judge, make_problem):
    problem = make_problem([("200\n", "200\n")])
    c_src = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) { int n; scanf("%d", &n); char *p = malloc((size_t)n << 20);
    memset(p, 1, (size_t)n << 20); printf("%d\\n", n + p[12345] - 1); return 0; }"""
    res = judge(problem, c_src, "c", memory_limit=LIMIT)
    assert res.verdict == "AC", res.to_dict()
    assert 200 * 1024 <= res.tests[0].memory < 210 * 1024, res.to_dict()
    # Java: a 150 MiB array in a 256 MiB heap (its old generation holds 2/3 of it) passes; the
    # figure includes the JVM itself
    java_src = """import java.util.*;
public class Main { public static void main(String[] a) { int n = new Scanner(System.in).nextInt();
    byte[] b = new byte[n << 20]; for (int j = 0; j < b.length; j += 4096) b[j] = 1;
    System.out.println(n + b[8192] - 1); } }"""
    res = judge(make_problem([("150\n", "150\n")]), java_src, "java", memory_limit=LIMIT,
                time_limit=3)
    assert res.verdict == "AC", res.to_dict()
    assert 150 * 1024 <= res.tests[0].memory < (LIMIT + 64) * 1024, res.to_dict()


def test_output_is_not_memory_up_to_the_allowance(judge, make_problem):
    # 6 MiB of answer written by a program holding 200 MiB: the output files are tmpfs pages in the
    # container's cgroup, but (up to 2 × answer + 1 MiB) they are not the program's memory
    answer = "".join(f"{i}\n" for i in range(800000))
    problem = make_problem([("go\n", answer)])
    src = """#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) { char *p = malloc(200 << 20); memset(p, 1, 200 << 20);
    for (int i = 0; i < 800000; i++) printf("%d\\n", i + p[i] - 1); return 0; }"""
    res = judge(problem, src, "c", memory_limit=LIMIT)
    assert res.verdict == "AC", res.to_dict()
    assert res.tests[0].memory < 210 * 1024, res.to_dict()


CGROUP_CAP_C = r"""#include <stdio.h>
static long long rd(const char *p) { FILE *f = fopen(p, "r"); long long v = -1;
    if (f) { if (fscanf(f, "%lld", &v) != 1) v = -2; fclose(f); } return v; }
int main(void) {
    /* the hard cap of the container this program runs in, as its own cgroup shows it (MiB):
       memory, then memory + swap */
    long long mem = rd("/sys/fs/cgroup/memory/memory.limit_in_bytes"), both;
    if (mem >= 0) both = rd("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes");
    else { mem = rd("/sys/fs/cgroup/memory.max"); long long swap = rd("/sys/fs/cgroup/memory.swap.max");
        both = swap >= 0 ? mem + swap : mem; }
    printf("%lld %lld\n", mem >> 20, both >> 20); return 0; }
"""


def test_hard_cap_is_lowered_to_the_run_size_after_compiling(judge, make_problem, peak_mode):
    # run_memory_mib = limit + allowance (C: 0) + output limit (64) + largest input (0) + 32:
    # 256 → 352 MiB, then 128 → 224 MiB in the same (reused) container; compiling had 1024 MiB.
    # The answer is what the program reads from its own memory cgroup while a test runs.
    for limit, cap in ((256, 352), (128, 224)):
        problem = make_problem([("x\n", f"{cap} {cap}\n")])
        res = judge(problem, CGROUP_CAP_C, "c", memory_limit=limit)
        assert res.verdict == "AC", (limit, res.to_dict())
