"""Attacks against the sandbox, on the real engine.

Each attack runs as a real submission. Most attack programs read their test input: "attack" makes
them attack, anything else makes them solve a+b — so a single submission shows both that the
attack was contained and that the *next test* in the same container is still judged correctly.
After every test the ``sandbox_env`` fixture checks that no container and no contestant process is
left, and :func:`healthy` judges a fresh correct submission.
"""
from __future__ import annotations

import pytest

from judge.judging import CompileLimits

pytestmark = pytest.mark.docker

FAST_COMPILE = CompileLimits(cpu=5.0, wall=10.0)  # keeps the compile-bomb tests short
PY_AB = "a, b = map(int, input().split())\nprint(a + b)\n"


def healthy(judge, aplusb):
    res = judge(aplusb, PY_AB, "python3")
    assert res.verdict == "AC", res.to_dict()


@pytest.fixture
def attack_then_ab(make_problem):
    """Test 1 input "attack" (answer "none"), test 2 a+b."""
    return make_problem([("attack\n", "none\n"), ("20 22\n", "42\n")])


C_PRELUDE = """
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
void attack(void);
int main(void) {
    char w[32];
    if (scanf("%31s", w) != 1) return 1;
    if (!strcmp(w, "attack")) { attack(); puts("none"); return 0; }
    long long a = atoll(w), b; scanf("%lld", &b); printf("%lld\\n", a + b); return 0;
}
"""


def run_attack(judge, problem, body, language="c", **kw):
    source = C_PRELUDE + body if language == "c" else body
    res = judge(problem, source, language, **kw)
    assert res.tests[1].verdict == "AC", res.to_dict()
    return res.tests[0]


def test_fork_bomb(judge, attack_then_ab, aplusb):
    t = run_attack(judge, attack_then_ab, "void attack(void){ for(;;) fork(); }", time_limit=0.5)
    assert t.verdict in ("TLE", "RE"), t
    healthy(judge, aplusb)


def test_memory_bomb(judge, attack_then_ab, aplusb):
    body = """char *volatile keep;
    void attack(void){ for(;;){ char *p = malloc(64<<20); if(!p) abort(); memset(p, 1, 64<<20); keep = p; } }"""
    t = run_attack(judge, attack_then_ab, body, memory_limit=128)
    assert t.verdict == "MLE", t
    healthy(judge, aplusb)


def test_memory_bomb_in_children_hits_the_cgroup(judge, attack_then_ab, aplusb):
    # every child stays below the per-process limit, together they pass the container's cgroup
    body = """char *volatile keep;
    void attack(void){ for(int i=0;i<40;i++) if(fork()==0){ char *p=malloc(100<<20);
        memset(p,1,100<<20); keep = p; sleep(2); _exit(0); } while (wait(NULL) > 0); }"""
    t = run_attack(judge, attack_then_ab, body, memory_limit=128, time_limit=3)
    assert t.verdict == "MLE" and "killed" in t.message, t
    healthy(judge, aplusb)


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_flood(judge, make_problem, aplusb, stream):
    problem = make_problem([("attack\n", "none\n"), ("20 22\n", "42\n")], output_limit=8)
    body = f"""void attack(void){{ static char buf[1<<16]; memset(buf, 'x', sizeof buf);
        for(;;) fwrite(buf, 1, sizeof buf, {stream}); }}"""
    t = run_attack(judge, problem, body)
    assert t.verdict == "OLE", t
    healthy(judge, aplusb)


def test_cpu_burnt_in_children_never_waited_for_is_counted(judge, attack_then_ab):
    # the parent sleeps in read() while an un-waited child computes: wait4's rusage alone sees ~0
    body = """void attack(void){ int p[2]; pipe(p);
        if (fork() == 0) { volatile unsigned long x = 0; for (long i = 0; i < 3000000000L; i++) x++;
                           write(p[1], "k", 1); _exit(0); }
        char c; read(p[0], &c, 1); }"""
    t = run_attack(judge, attack_then_ab, body, time_limit=0.5)
    assert t.verdict == "TLE" and t.time >= 0.5, t


def test_sleeping_forever_is_tle_by_wall_time(judge, attack_then_ab):
    t = run_attack(judge, attack_then_ab, "void attack(void){ for(;;) pause(); }", time_limit=0.3)
    assert t.verdict == "TLE", t
    assert t.time < 0.1 and 1.5 <= t.wall_time < 2.5, t  # wall limit 2 × 0.3 + 1 = 1.6 s


def test_killing_the_parent_and_everything(judge, attack_then_ab, aplusb):
    # kill(-1) spares the caller itself: the program goes on and answers "none"; the runner (PID 1,
    # another uid) must not be hurt, as the second test shows
    body = """void attack(void){ kill(1, SIGKILL); kill(getppid(), SIGKILL); kill(-1, SIGKILL);
        kill(1, SIGTERM); kill(1, SIGSTOP); }"""
    t = run_attack(judge, attack_then_ab, body)
    assert t.verdict == "AC", t
    healthy(judge, aplusb)


def test_deep_recursion_passes_with_256_mb(judge, make_problem):
    problem = make_problem([("1000000\n", "1000000\n")])
    src = """#include <stdio.h>
/* the callee gets the address of the caller's frame and the caller reads it after the call:
   neither tail-call elimination nor a loop transformation is possible */
long depth(int n, volatile char *up) {
    volatile char pad[64]; pad[0] = up[0]; pad[63] = 1;
    if (n == 0) return 0;
    long r = depth(n - 1, pad);
    return r + pad[63];
}
int main(void) { int n; volatile char top[1] = {0}; scanf("%d", &n); printf("%ld\\n", depth(n, top));
                 return 0; }"""
    res = judge(problem, src, "c", memory_limit=256)
    assert res.verdict == "AC", res.to_dict()
    assert res.memory > 64 * 1024  # the frames really were on the stack


def test_huge_static_array(judge, make_problem, aplusb):
    problem = make_problem([("1 2\n", "3\n")])
    src = """#include <stdio.h>
#include <string.h>
static char a[600 << 20];
int main(void) { memset(a, 1, sizeof a); printf("%d\\n", a[12345] + 2); return 0; }"""
    res = judge(problem, src, "c", memory_limit=256)
    assert res.verdict == "MLE", res.to_dict()
    healthy(judge, aplusb)


NETWORK_PROBE = """
import socket
checks = []
def probe(name, fn):
    try:
        fn()
        checks.append(name + ":OPEN")
    except OSError:
        checks.append(name + ":blocked")
def connect(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.settimeout(2); s.connect((host, port))
probe("redis_loopback", lambda: connect("127.0.0.1", 6379))
probe("postgres_loopback", lambda: connect("127.0.0.1", 5432))
probe("docker_host", lambda: connect("172.17.0.1", 6379))
probe("public", lambda: connect("1.1.1.1", 80))
probe("dns", lambda: socket.getaddrinfo("deb.debian.org", 80))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", ("8.8.8.8", 53))
probe("udp", udp)
interfaces = sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:])
checks.append("interfaces:" + ",".join(interfaces))
print("\\n".join(checks))
"""


def test_no_network(judge, make_problem):
    expected = ["redis_loopback", "postgres_loopback", "docker_host", "public", "dns", "udp"]
    answer = "\n".join(f"{n}:blocked" for n in expected) + "\ninterfaces:lo\n"
    problem = make_problem([("\n", answer)])
    res = judge(problem, NETWORK_PROBE, "python3")
    assert res.verdict == "AC", res.to_dict()


def test_cannot_read_answers_or_judge_files(judge, make_problem, tmp_path):
    secret = tmp_path / "other-submission.cpp"
    secret.write_text("secret")
    problem = make_problem([("1 2\n", "3\n")])
    answer_path = problem.tests()[0].answer_path
    probe = f"""
import os
checks = []
def probe(name, fn):
    try:
        fn()
        checks.append(name + ":OPEN")
    except OSError:
        checks.append(name + ":blocked")
probe("answer", lambda: open({str(answer_path)!r}).read())
probe("answer_dir", lambda: os.listdir({str(answer_path.parent)!r}))
probe("other_submission", lambda: open({str(secret)!r}).read())
probe("io_dir", lambda: os.listdir("/io"))
probe("io_fifo", lambda: open("/io/req", "w"))
probe("runner_environ", lambda: open("/proc/1/environ").read())
probe("runner_cwd", lambda: os.listdir("/proc/1/cwd"))
probe("runner_root", lambda: os.listdir("/proc/1/root/io"))
probe("shadow", lambda: open("/etc/shadow").read())
probe("write_root", lambda: open("/pwned", "w"))
probe("write_usr", lambda: open("/usr/bin/pwned", "w"))
probe("write_prog", lambda: open("/prog/pwned", "w"))
probe("replace_program", lambda: open("/prog/main.py", "a"))
probe("setuid", lambda: os.setuid(0))
def exec_from_box():
    import shutil, subprocess
    shutil.copy("/bin/true", "mytrue"); os.chmod("mytrue", 0o755); subprocess.run(["./mytrue"])
probe("exec_from_box", exec_from_box)
probe("host_shm", lambda: [d for d in os.listdir("/dev/shm") if d.startswith("judge-")][0] if
      [d for d in os.listdir("/dev/shm") if d.startswith("judge-")] else (_ for _ in ()).throw(OSError()))
print("\\n".join(checks))
a = 1
"""
    names = ["answer", "answer_dir", "other_submission", "io_dir", "io_fifo", "runner_environ",
             "runner_cwd", "runner_root", "shadow", "write_root", "write_usr", "write_prog",
             "replace_program", "setuid", "exec_from_box", "host_shm"]
    answer_path.write_text("\n".join(f"{n}:blocked" for n in names) + "\n")
    res = judge(problem, probe, "python3")
    assert res.verdict == "AC", res.to_dict()


PERSIST = r"""
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
rt = ctypes.CDLL("librt.so.1", use_errno=True)
places = ["/tmp/left", "/dev/shm/left", "/box/left", os.path.expanduser("~") + "/left2", "left3"]
mode = sys.stdin.readline().strip()
if mode == "write":
    for p in places:
        open(p, "w").write("x")
    os.mkdir("locked"); open("locked/f", "w").write("x"); os.chmod("locked", 0)
    os.symlink("/etc/passwd", "link")
    assert libc.shmget(4242, 4096, 0o1666) >= 0        # IPC_CREAT | 0666
    assert libc.msgget(4243, 0o1666) >= 0
    assert rt.mq_open(b"/leftq", os.O_CREAT | os.O_RDWR, 0o600, None) >= 0
    if os.fork() == 0:                                    # a daemon that outlives the test
        os.setsid()
        if os.fork() == 0:
            time.sleep(1000)
        os._exit(0)
    print("written")
else:
    out = []
    out.append("files:" + ("left" if any(os.path.exists(p) for p in places) else "clean"))
    out.append("box:" + ("left" if os.listdir(".") else "clean"))
    out.append("shm:" + ("left" if libc.shmget(4242, 0, 0) >= 0 else "clean"))
    out.append("msg:" + ("left" if libc.msgget(4243, 0) >= 0 else "clean"))
    out.append("mq:" + ("left" if rt.mq_open(b"/leftq", os.O_RDONLY) >= 0 else "clean"))
    me = os.getpid()
    others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
    out.append("processes:" + ("left" if others else "clean"))
    print("\n".join(out))
"""
CLEAN = "files:clean\nbox:clean\nshm:clean\nmsg:clean\nmq:clean\nprocesses:clean\n"


def test_nothing_persists_between_tests_or_submissions(judge, make_problem):
    problem = make_problem([("write\n", "written\n"), ("check\n", CLEAN), ("write\n", "written\n")])
    res = judge(problem, PERSIST, "python3")
    assert [t.verdict for t in res.tests] == ["AC", "AC", "AC"], res.to_dict()
    # the next submission starts in a fresh container: the third test's leftovers are gone too
    res = judge(make_problem([("check\n", CLEAN)]), PERSIST, "python3")
    assert res.verdict == "AC", res.to_dict()


def test_compile_bomb_dev_urandom(judge, aplusb):
    res = judge(aplusb, '#include "/dev/urandom"\nint main(){}\n', "cpp", compile_limits=FAST_COMPILE)
    assert res.verdict == "CE", res.to_dict()
    healthy(judge, aplusb)


def test_compile_bomb_recursive_include(judge, aplusb):
    res = judge(aplusb, '#include __FILE__\nint main(){}\n', "cpp", compile_limits=FAST_COMPILE)
    assert res.verdict == "CE", res.to_dict()
    assert "nested" in res.compile_output or "depth" in res.compile_output


def test_compile_bomb_template_explosion(judge, aplusb):
    src = """template<int N, int M> struct A { enum { v = A<N - 1, 2 * M>::v + A<N - 1, 2 * M + 1>::v }; };
template<int M> struct A<0, M> { enum { v = 1 }; };
int main() { return A<40, 0>::v; }
"""
    res = judge(aplusb, src, "cpp", compile_limits=FAST_COMPILE)
    assert res.verdict == "CE", res.to_dict()
    assert "time limit" in res.compile_output or "memory" in res.compile_output
    healthy(judge, aplusb)


def test_compiler_message_is_capped(judge, aplusb):
    src = "int main() {\n" + "".join(f"  undefined_{i}();\n" for i in range(5000)) + "}\n"
    res = judge(aplusb, src, "cpp")
    assert res.verdict == "CE"
    assert len(res.compile_output.encode()) <= 64 * 1024 + 200
    assert "truncated at 64 KiB" in res.compile_output
