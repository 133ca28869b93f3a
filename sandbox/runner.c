/*
 * judge-runner: the in-container half of the judge sandbox.
 *
 * It runs as PID 1 of a fresh container (one container per submission) and serves run requests
 * from the host over two FIFOs in the bind-mounted, root-only directory IODIR (argv[1], "/io"):
 *
 *   IODIR/req   host -> runner, one request per line
 *   IODIR/resp  runner -> host, one JSON object per line
 *
 * On start the runner prints {"ready":true,...}. Each request line is a list of TAB-separated
 * fields "key=value", then a field "--", then the argv of the program to run:
 *
 *   uid=1500  cwd=/box  cpu_ms=1000  wall_ms=3000  stack_kib=262144  as_kib=0  fsize=67108864
 *   rss_kib=262144  nofile=64  stdin=/io/input  copy_as=TASK.INP  stdout=/io/output  stderr=/io/stderr
 *   pipe_to=/io/message  pipe_cap=65536  collect=TASK.OUT  collect_to=/io/outfile
 *   wipe=/box  env=NAME=VALUE ...  --  /prog/main
 *
 * stdout=pipe sends stdout+stderr of the program through a pipe whose first pipe_cap bytes are
 * written to pipe_to (compiler messages); the rest is read and dropped so that the program never
 * blocks on a full pipe.
 *
 * For every request: fork -> (as root) open the stdin/stdout/stderr files -> drop to uid (no
 * supplementary groups) -> chdir -> copy stdin into copy_as -> rlimits -> exec. The runner waits
 * with wait4() and reports
 *
 *   cpu  = ru_utime + ru_stime of the child (kernel time included), seconds
 *   tree_cpu = CPU time of the container's cgroup during the run minus the runner's own: also
 *         counts processes the program started and never waited for (-1 if no cgroup file)
 *   wall = CLOCK_MONOTONIC(after wait4) - CLOCK_MONOTONIC(before fork), seconds
 *   rss_kib = ru_maxrss of the child: the high-water RSS of the program and of the descendants it
 *         waited for. The runner is a small static binary, so the RSS a child inherits from it
 *         before exec (which the kernel folds into ru_maxrss) is a few hundred KiB at most.
 *
 * The CPU limit is enforced by polling /proc/<pid>/stat (utime+stime+cutime+cstime) and tree_cpu
 * every 20 ms
 * and, as a safety net, RLIMIT_CPU (whole seconds). The wall limit is enforced by the same loop,
 * and so is rss_kib (if given): a program whose resident memory (/proc/<pid>/statm) exceeds it is
 * killed at once (limit "memory") instead of growing up to the container's memory cgroup.
 * After the program ends, kill(-1, SIGKILL) -- which from PID 1 reaches every other process of
 * the container -- removes strays; all zombies are reaped; then the uid's files are wiped from
 * the `wipe` directory, /tmp, /dev/shm and /dev/mqueue, and its System V IPC objects removed.
 *
 * Between two submissions (a container is reused), the request line
 *   reset<TAB>contestant=1500<TAB>compiler=1501
 * kills every process, wipes both uids' files everywhere, removes every IPC object, and replies
 * {"reset":true,"clean":...} after checking that nothing is left (see reset_container).
 *
 * Capabilities needed: SETUID, SETGID (drop privileges, setfsuid for the wipe) and KILL.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 128
#define MAX_ENV 64
#define LINE_MAX_LEN 65536
#define POLL_MS 20

struct request {
    long uid;
    const char *cwd;
    long cpu_ms, wall_ms;
    long long stack_kib, as_kib, fsize, rss_kib;
    long long mem_kib;   /* limit of the cgroup memory figure (0 = none): the poll loop kills above it */
    long long allow_kib; /* at most this much of the program's output files is not memory */
    long nofile;
    const char *stdin_path, *copy_as, *stdout_path, *stderr_path;
    const char *pipe_to;
    long pipe_cap;
    const char *collect, *collect_to;
    const char *wipe;
    char *argv[MAX_ARGS + 1];
    char *envp[MAX_ENV + 1];
    int nenv;
};

struct outcome {
    int exited, code, sig;
    double cpu, user, sys, wall;
    double tree_cpu; /* CPU of every process of the container during the run, -1 if unknown */
    long rss_kib;
    long long cg_kib;  /* memory of the whole container during the run (see mem_figure), -1 unknown */
    long long cg_raw_kib; /* cgroup peak minus the baseline, before the file allowance */
    const char *limit; /* "", "cpu", "wall" or "memory" */
    int oom;
    int collected;
    long long collected_bytes;
    long long pipe_bytes;
    int left; /* entries the wipe could not remove (the host then discards the container) */
    char exec_error[160];
};

static FILE *resp;
static const char *oom_file; /* cgroup file with an "oom_kill N" line, or NULL */
static const char *cpu_file; /* cgroup CPU usage: v1 cpuacct.usage (ns) or v2 cpu.stat, or NULL */
static int usage_fd = -1;    /* memory cgroup: current usage (v1 memory.usage_in_bytes, v2 memory.current) */
static int peak_fd = -1;     /* memory cgroup: peak usage (v1 memory.max_usage_in_bytes, v2 memory.peak) */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Write a JSON string literal (with quotes) for s. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void reply_error(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("{\"ok\":false,\"error\":", resp);
    json_str(resp, buf);
    fputs("}\n", resp);
    fflush(resp);
}

/* Sum of the "oom_kill N" counter of the container's memory cgroup (v1 or v2), -1 if unknown. */
static long read_oom_kills(void)
{
    if (!oom_file)
        return -1;
    FILE *f = fopen(oom_file, "re");
    if (!f)
        return -1;
    char key[64];
    long val, total = -1;
    while (fscanf(f, "%63s %ld", key, &val) == 2)
        if (strcmp(key, "oom_kill") == 0)
            total = val;
    fclose(f);
    return total;
}

/* CPU time used by every process of the container (its cgroup), seconds; -1 if unknown. */
static double read_cgroup_cpu(void)
{
    if (!cpu_file)
        return -1;
    FILE *f = fopen(cpu_file, "re");
    if (!f)
        return -1;
    double result = -1;
    char key[64];
    unsigned long long val;
    if (strstr(cpu_file, "cpuacct.usage")) {
        if (fscanf(f, "%llu", &val) == 1)
            result = val / 1e9;
    } else {
        while (fscanf(f, "%63s %llu", key, &val) == 2)
            if (strcmp(key, "usage_usec") == 0) {
                result = val / 1e6;
                break;
            }
    }
    fclose(f);
    return result;
}

/* A number held in a cgroup file open at fd (re-read from offset 0), -1 if unknown. */
static long long read_counter(int fd)
{
    if (fd < 0)
        return -1;
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return atoll(buf);
}

/* Size of a file in bytes (0 if absent). */
static long long file_bytes(const char *path)
{
    struct stat st;
    if (!path || !*path || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    return st.st_size;
}

/* The runner's own CPU time (user + system), seconds. */
static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* Read /proc/<pid>/<name> into buf as a NUL-terminated string; -1 if the process is gone. */
static int read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return 0;
}

/* utime+stime+cutime+cstime of a live process in seconds, -1 if it is gone. */
static double proc_cpu(pid_t pid)
{
    char buf[1024];
    if (read_proc(pid, "stat", buf, sizeof buf) < 0)
        return -1;
    char *p = strrchr(buf, ')'); /* the command name may contain spaces */
    if (!p)
        return -1;
    unsigned long long v[15];
    /* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14)
       stime cutime cstime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
               &v[0], &v[1], &v[2], &v[3]) != 4)
        return -1;
    return (double)(v[0] + v[1] + v[2] + v[3]) / sysconf(_SC_CLK_TCK);
}

/* Resident memory of a live process in KiB (/proc/<pid>/statm), -1 if it is gone. */
static long long proc_rss_kib(pid_t pid)
{
    char buf[256];
    if (read_proc(pid, "statm", buf, sizeof buf) < 0)
        return -1;
    long long size, resident;
    if (sscanf(buf, "%lld %lld", &size, &resident) != 2)
        return -1;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Is the entry name of dirfd a directory (not following symlinks)? */
static int is_dir_at(int dirfd, const struct dirent *e)
{
    if (e->d_type != DT_UNKNOWN)
        return e->d_type == DT_DIR;
    struct stat st;
    return fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* Remove the directory `name` of dirfd and everything under it, acting with the current fsuid
   (the owner, who may chmod its directories back to 0700 even if the program made them 000).
   Iterative, with one directory descriptor open at a time and the names of the path on a heap
   stack: any depth works (a 50,000-level chain needs 50,000 names, not 50,000 descriptors).
   Returns 0 when the tree is gone. */
static int remove_tree(int dirfd, const char *name)
{
    size_t depth = 0, cap = 0;
    char **stack = NULL;
    fchmodat(dirfd, name, 0700, 0);
    int cur = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (cur < 0)
        return unlinkat(dirfd, name, AT_REMOVEDIR);
    int ok = 1;
    for (;;) {
        /* remove the files of cur, stop at its first sub-directory */
        char *sub = NULL;
        int dfd = dup(cur);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
            if (dfd >= 0)
                close(dfd);
            ok = 0;
            break;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            if (is_dir_at(cur, e)) {
                sub = strdup(e->d_name);
                break;
            }
            unlinkat(cur, e->d_name, 0);
        }
        closedir(d);
        if (sub) {
            fchmodat(cur, sub, 0700, 0);
            int next = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (next < 0 || depth == SIZE_MAX / sizeof *stack) {
                ok = 0;
                free(sub);
                if (next >= 0)
                    close(next);
                break;
            }
            if (depth == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                char **grown = realloc(stack, ncap * sizeof *stack);
                if (!grown) {
                    ok = 0;
                    free(sub);
                    close(next);
                    break;
                }
                stack = grown;
                cap = ncap;
            }
            stack[depth++] = sub;
            close(cur);
            cur = next;
            continue;
        }
        if (depth == 0)
            break;
        /* cur is empty: go up and remove it */
        int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        close(cur);
        char *gone = stack[--depth];
        cur = up;
        if (up < 0 || unlinkat(up, gone, AT_REMOVEDIR) < 0)
            ok = 0;
        free(gone);
        if (!ok)
            break;
    }
    if (cur >= 0)
        close(cur);
    while (depth)
        free(stack[--depth]);
    free(stack);
    if (!ok)
        return -1;
    return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Remove every extended attribute of the open directory fd (user.* data, ACLs): the directory
   itself outlives the wipe of its entries, so what a program attaches to it would reach the next
   run. Acts with the current fsuid (the owner may remove them). Returns how many are left. */
static int clear_xattrs(int fd)
{
    static char names[65536];
    ssize_t n = flistxattr(fd, names, sizeof names);
    if (n < 0)
        return errno == ENOTSUP ? 0 : 1;
    int left = 0;
    for (char *p = names; p < names + n; p += strlen(p) + 1)
        if (fremovexattr(fd, p) < 0 && errno != ENODATA)
            left++;
    return left;
}

/* How many bytes of extended-attribute names the directory at path has (0 = none). */
static int xattr_names(const char *path)
{
    ssize_t n = llistxattr(path, NULL, 0);
    return n < 0 ? (errno == ENOTSUP ? 0 : 1) : (int)n;
}

/* Remove the entries of the directory at path (those owned by uid when filter is set), acting with
   the current fsuid; for the program's own directory (no filter) also its extended attributes.
   Returns the number of entries (or attributes) that could not be removed. */
static int wipe_path(const char *path, uid_t uid, int filter)
{
    if (!filter) /* the program owns its work dir and may have chmod-ed it, even to 000 */
        chmod(path, 0755);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return filter ? 0 : 1;
    int left = filter ? 0 : clear_xattrs(fd);
    for (int pass = 0; pass < 2; pass++) {
        int dfd = dup(fd);
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (!d) {
            if (dfd >= 0)
                close(dfd);
            break;
        }
        left = filter ? 0 : clear_xattrs(fd);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            struct stat st;
            if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                continue;
            if (filter && st.st_uid != uid)
                continue;
            int rc = S_ISDIR(st.st_mode) ? remove_tree(fd, e->d_name) : unlinkat(fd, e->d_name, 0);
            if (rc < 0)
                left++;
        }
        closedir(d);
        if (!left)
            break;
    }
    close(fd);
    return left;
}

/* Remove every System V IPC object of the container (it has its own IPC namespace, so they are
   all the submission's), whoever owns it now: IPC_RMID is allowed to the owner and to the creator,
   and a program may hand the ownership to any uid (IPC_SET), never the creatorship. */
static void wipe_ipc(void)
{
    static const char *files[3] = {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem"};
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(files[k], "re");
        if (!f)
            continue;
        char line[512];
        int first = 1;
        while (fgets(line, sizeof line, f)) {
            if (first) { /* header */
                first = 0;
                continue;
            }
            long key, id, perms, a, b, c, d;
            long owner = -1, group = -1, cuid = -1;
            int n;
            if (k < 2) /* shm: key shmid perms size cpid lpid nattch uid gid cuid;
                          msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid */
                n = sscanf(line, "%ld %ld %lo %ld %ld %ld %ld %ld %ld %ld", &key, &id, &perms, &a,
                           &b, &c, &d, &owner, &group, &cuid);
            else /* key semid perms nsems uid gid cuid */
                n = sscanf(line, "%ld %ld %lo %ld %ld %ld %ld", &key, &id, &perms, &a, &owner,
                           &group, &cuid);
            if (n < 5)
                continue;
            long who[2] = {owner, cuid};
            for (int w = 0; w < 2; w++) {
                if (who[w] < 0)
                    continue;
                /* IPC_RMID needs euid == owner or creator: switch the euid only (saved uid stays 0) */
                if (who[w] != 0 && setresuid(-1, (uid_t)who[w], -1) < 0)
                    continue;
                int rc = k == 0 ? shmctl(id, IPC_RMID, NULL)
                                : k == 1 ? msgctl(id, IPC_RMID, NULL) : semctl(id, 0, IPC_RMID);
                if (who[w] != 0)
                    setresuid(-1, 0, -1);
                if (rc == 0)
                    break;
            }
        }
        fclose(f);
    }
}

/* Kill every process of the container except ourselves and reap them all. */
static void kill_all_and_reap(void)
{
    kill(-1, SIGKILL);
    while (1) {
        pid_t p = waitpid(-1, NULL, 0);
        if (p < 0 && errno == ECHILD)
            break;
        if (p < 0 && errno != EINTR)
            break;
    }
}

/* Count the entries of directory `path` (0 when it does not exist: nothing can be in it). */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return errno == ENOENT ? 0 : 1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Number of System V IPC objects left in the container's IPC namespace. */
static int count_ipc(void)
{
    static const char *files[3] = {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem"};
    int n = 0;
    for (int k = 0; k < 3; k++) {
        FILE *f = fopen(files[k], "r");
        if (!f)
            continue;
        char buf[512];
        int lineno = 0;
        while (fgets(buf, sizeof buf, f))
            if (lineno++ > 0)
                n++;
        fclose(f);
    }
    return n;
}

/* Processes of the container other than the runner (PID 1). */
static int count_processes(void)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*e->d_name && !*end && pid != 1)
            n++;
    }
    closedir(d);
    return n;
}

/* Is `path` a directory owned by uid with mode 0755 (as the container was created)? */
static int dir_as_created(const char *path, uid_t uid, mode_t mode)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid &&
           (st.st_mode & 07777) == mode;
}

/* The reset between two submissions (request line "reset" with the two uids): kill and reap every
   process, remove every file of both uids from /box, /prog, /tmp, /dev/shm and /dev/mqueue, every
   System V IPC object and the extended attributes of /box and /prog; then PROVE the container is as
   created: no process but the runner, those directories empty with their original owner and mode and
   no extended attribute, no IPC object. The host keeps the
   container only when the reply says clean. Environment and rlimits need nothing: every run gets
   them from its request, and the runner's own never change. */
static void reset_container(uid_t contestant, uid_t compiler)
{
    kill_all_and_reap();
    static const char *shared[3] = {"/tmp", "/dev/shm", "/dev/mqueue"};
    int left = 0;
    uid_t uids[2] = {contestant, compiler};
    for (int i = 0; i < 2; i++) {
        setfsuid(uids[i]);
        if (i == 0)
            left += wipe_path("/box", contestant, 0);
        else
            left += wipe_path("/prog", compiler, 0);
        for (int k = 0; k < 3; k++)
            left += wipe_path(shared[k], uids[i], 1);
        setfsuid(0);
    }
    wipe_ipc();
    int procs = count_processes();
    int files = count_entries("/box") + count_entries("/prog");
    for (int k = 0; k < 3; k++)
        files += count_entries(shared[k]);
    int ipc = count_ipc();
    int dirs = dir_as_created("/box", contestant, 0755) && dir_as_created("/prog", compiler, 0755) &&
               !xattr_names("/box") && !xattr_names("/prog");
    long long usage = usage_fd >= 0 ? read_counter(usage_fd) : -1;
    int clean = !left && !procs && !files && !ipc && dirs;
    fprintf(resp,
            "{\"ok\":true,\"reset\":true,\"clean\":%s,\"procs\":%d,\"files\":%d,\"ipc\":%d,"
            "\"dirs\":%s,\"left\":%d,\"usage_kib\":%lld}\n",
            clean ? "true" : "false", procs, files, ipc, dirs ? "true" : "false", left,
            usage >= 0 ? usage / 1024 : -1);
    fflush(resp);
}

static int parse_request(char *line, struct request *r)
{
    memset(r, 0, sizeof *r);
    r->uid = -1;
    r->cwd = "/";
    r->nofile = 64;
    r->pipe_cap = 65536;
    int nargs = 0, in_argv = 0;
    char *save = NULL;
    for (char *tok = strtok_r(line, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save)) {
        if (in_argv) {
            if (nargs >= MAX_ARGS)
                return -1;
            r->argv[nargs++] = tok;
            continue;
        }
        if (!strcmp(tok, "--")) {
            in_argv = 1;
            continue;
        }
        char *eq = strchr(tok, '=');
        if (!eq)
            return -1;
        *eq = 0;
        const char *k = tok, *v = eq + 1;
        if (!strcmp(k, "uid")) r->uid = atol(v);
        else if (!strcmp(k, "cwd")) r->cwd = v;
        else if (!strcmp(k, "cpu_ms")) r->cpu_ms = atol(v);
        else if (!strcmp(k, "wall_ms")) r->wall_ms = atol(v);
        else if (!strcmp(k, "stack_kib")) r->stack_kib = atoll(v);
        else if (!strcmp(k, "as_kib")) r->as_kib = atoll(v);
        else if (!strcmp(k, "rss_kib")) r->rss_kib = atoll(v);
        else if (!strcmp(k, "mem_kib")) r->mem_kib = atoll(v);
        else if (!strcmp(k, "allow_kib")) r->allow_kib = atoll(v);
        else if (!strcmp(k, "fsize")) r->fsize = atoll(v);
        else if (!strcmp(k, "nofile")) r->nofile = atol(v);
        else if (!strcmp(k, "stdin")) r->stdin_path = v;
        else if (!strcmp(k, "copy_as")) r->copy_as = v;
        else if (!strcmp(k, "stdout")) r->stdout_path = v;
        else if (!strcmp(k, "stderr")) r->stderr_path = v;
        else if (!strcmp(k, "pipe_to")) r->pipe_to = v;
        else if (!strcmp(k, "pipe_cap")) r->pipe_cap = atol(v);
        else if (!strcmp(k, "collect")) r->collect = v;
        else if (!strcmp(k, "collect_to")) r->collect_to = v;
        else if (!strcmp(k, "wipe")) r->wipe = v;
        else if (!strcmp(k, "env")) {
            if (r->nenv >= MAX_ENV)
                return -1;
            r->envp[r->nenv++] = (char *)v;
        } else
            return -1;
    }
    r->argv[nargs] = NULL;
    r->envp[r->nenv] = NULL;
    /* never run anything as root: the uid must be an unprivileged one */
    if (nargs == 0 || r->uid < 1000 || r->wall_ms <= 0 || r->cpu_ms <= 0)
        return -1;
    return 0;
}

static void set_limit(int resource, rlim_t value)
{
    struct rlimit cur, lim;
    getrlimit(resource, &cur);
    /* only ever lower: raising a hard limit needs CAP_SYS_RESOURCE, which we do not have */
    if (cur.rlim_max != RLIM_INFINITY && value > cur.rlim_max)
        value = cur.rlim_max;
    lim.rlim_cur = lim.rlim_max = value;
    setrlimit(resource, &lim);
}

static int copy_fd(int from, int to, long long cap, long long *copied)
{
    char buf[65536];
    long long total = 0;
    for (;;) {
        ssize_t n = read(from, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        ssize_t want = n;
        if (cap >= 0 && total + want > cap)
            want = cap - total;
        for (ssize_t off = 0; off < want;) {
            ssize_t w = write(to, buf + off, want - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return -1;
            }
            off += w;
        }
        total += want;
        if (cap >= 0 && total >= cap)
            break;
    }
    if (copied)
        *copied = total;
    return 0;
}

/* The child: everything between fork and exec. Reports a failure through errfd and exits 127. */
static void child(const struct request *r, int pipe_w, int errfd, const sigset_t *oldmask)
{
    int in_fd, out_fd, err_fd;
    const char *what = "open stdin";
    in_fd = open(r->stdin_path && *r->stdin_path ? r->stdin_path : "/dev/null",
                 O_RDONLY | O_CLOEXEC);
    if (in_fd < 0)
        goto fail;
    what = "open stdout";
    if (pipe_w >= 0)
        out_fd = pipe_w;
    else
        out_fd = open(r->stdout_path && *r->stdout_path ? r->stdout_path : "/dev/null",
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_fd < 0)
        goto fail;
    what = "open stderr";
    if (pipe_w >= 0 || (r->stderr_path && !strcmp(r->stderr_path, "stdout")))
        err_fd = out_fd;
    else
        err_fd = open(r->stderr_path && *r->stderr_path ? r->stderr_path : "/dev/null",
                      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err_fd < 0)
        goto fail;

    setsid();
    what = "drop privileges";
    if (setgroups(0, NULL) < 0 || setresgid(r->uid, r->uid, r->uid) < 0 ||
        setresuid(r->uid, r->uid, r->uid) < 0)
        goto fail;
    if (getuid() == 0 || geteuid() == 0)
        goto fail;
    what = "chdir";
    if (chdir(r->cwd) < 0)
        goto fail;
    if (r->copy_as && *r->copy_as) {
        what = "copy input";
        int fd = open(r->copy_as, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 || copy_fd(in_fd, fd, -1, NULL) < 0 || lseek(in_fd, 0, SEEK_SET) < 0)
            goto fail;
        close(fd);
    }
    umask(022);
    if (r->cpu_ms > 0) {
        /* safety net only; the runner's poll loop enforces the exact limit */
        struct rlimit cpu;
        cpu.rlim_cur = (r->cpu_ms + 999) / 1000 + 1;
        cpu.rlim_max = cpu.rlim_cur + 1;
        setrlimit(RLIMIT_CPU, &cpu);
    }
    if (r->stack_kib > 0)
        set_limit(RLIMIT_STACK, (rlim_t)r->stack_kib * 1024);
    if (r->as_kib > 0)
        set_limit(RLIMIT_AS, (rlim_t)r->as_kib * 1024);
    if (r->fsize > 0)
        set_limit(RLIMIT_FSIZE, (rlim_t)r->fsize);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_NOFILE, r->nofile > 0 ? r->nofile : 64);

    what = "dup2";
    if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
        goto fail;
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigprocmask(SIG_SETMASK, oldmask, NULL);
    what = "exec";
    execvpe(r->argv[0], r->argv, r->envp);
fail:;
    char msg[160];
    int e = errno;
    int len = snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
    if (write(errfd, msg, len) < 0) {
    }
    _exit(127);
}

/* Returns 0 when o is to be reported, -1 when an error reply was already sent. */
static int run(struct request *r, int sfd, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    o->limit = "";
    int pipefd[2] = {-1, -1}, errpipe[2];
    int message_fd = -1;
    if (r->stdout_path && !strcmp(r->stdout_path, "pipe")) {
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
            reply_error("pipe: %s", strerror(errno));
            return -1;
        }
        message_fd = open(r->pipe_to ? r->pipe_to : "/dev/null",
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (pipe2(errpipe, O_CLOEXEC) < 0) {
        reply_error("pipe: %s", strerror(errno));
        return -1;
    }
    long oom_before = read_oom_kills();
    /* memory of the container: the baseline before the fork, the peak counter before and after */
    long long input_copy = (r->copy_as && *r->copy_as) ? file_bytes(r->stdin_path) : 0;
    long long mem_base = read_counter(usage_fd), peak_before = read_counter(peak_fd);
    long long sample_max = mem_base;
    long long mem_kill = r->mem_kib > 0 ? (r->mem_kib + r->allow_kib) * 1024 + input_copy : -1;
    double cg_before = read_cgroup_cpu(), self_before = self_cpu();
    sigset_t oldmask; /* the runner keeps SIGCHLD blocked; the child gets an empty mask */
    sigemptyset(&oldmask);

    double start = now_mono();
    pid_t pid = fork();
    if (pid < 0) {
        reply_error("fork: %s", strerror(errno));
        close(errpipe[0]);
        close(errpipe[1]);
        if (pipefd[0] >= 0) {
            close(pipefd[0]);
            close(pipefd[1]);
        }
        if (message_fd >= 0)
            close(message_fd);
        kill_all_and_reap();
        return -1;
    }
    if (pid == 0) {
        if (pipefd[0] >= 0)
            close(pipefd[0]);
        close(errpipe[0]);
        child(r, pipefd[1], errpipe[1], &oldmask);
    }
    close(errpipe[1]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    /* exec succeeded iff the CLOEXEC error pipe closes without data */
    ssize_t en;
    do
        en = read(errpipe[0], o->exec_error, sizeof o->exec_error - 1);
    while (en < 0 && errno == EINTR);
    o->exec_error[en > 0 ? en : 0] = 0;
    close(errpipe[0]);

    double cpu_limit = r->cpu_ms / 1000.0, wall_limit = r->wall_ms / 1000.0;
    int status = 0, done = 0, pipe_open = pipefd[0] >= 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    long long pipe_total = 0;
    char buf[65536];
    while (!done) {
        pid_t p;
        struct rusage ru_any;
        int st;
        while ((p = wait4(-1, &st, WNOHANG, &ru_any)) > 0) {
            if (p == pid) {
                status = st;
                ru = ru_any;
                done = 1;
            }
        }
        if (done)
            break;
        double t = now_mono() - start;
        if (!*o->limit) {
            if (t > wall_limit) {
                o->limit = "wall";
                kill(-1, SIGKILL);
            } else {
                double c = proc_cpu(pid);
                if (cg_before >= 0) { /* also count processes the program does not wait for */
                    double tree = read_cgroup_cpu() - cg_before - (self_cpu() - self_before);
                    if (tree > c)
                        c = tree;
                }
                if (c > cpu_limit) {
                    o->limit = "cpu";
                    kill(-1, SIGKILL);
                } else if (r->rss_kib > 0 && proc_rss_kib(pid) > r->rss_kib) {
                    o->limit = "memory";
                    kill(-1, SIGKILL);
                } else if (mem_base >= 0) {
                    long long used = read_counter(usage_fd);
                    if (used > sample_max)
                        sample_max = used;
                    if (mem_kill >= 0 && used - mem_base > mem_kill) {
                        o->limit = "memory";
                        kill(-1, SIGKILL);
                    }
                }
            }
        }
        struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {pipe_open ? pipefd[0] : -1, POLLIN, 0}};
        int timeout = POLL_MS;
        if (!*o->limit) {
            int left = (int)((wall_limit - t) * 1000) + 1;
            if (left < timeout)
                timeout = left;
        }
        if (poll(pfd, 2, timeout) > 0) {
            if (pfd[0].revents & POLLIN) {
                struct signalfd_siginfo si;
                while (read(sfd, &si, sizeof si) == sizeof si) {
                }
            }
            if (pfd[1].revents & (POLLIN | POLLHUP)) {
                ssize_t n = read(pipefd[0], buf, sizeof buf);
                if (n > 0) {
                    long long keep = r->pipe_cap - pipe_total;
                    if (keep > n)
                        keep = n;
                    if (keep > 0 && message_fd >= 0 && write(message_fd, buf, keep) < 0) {
                    }
                    pipe_total += n;
                } else if (n == 0) {
                    pipe_open = 0;
                }
            }
        }
    }
    o->wall = now_mono() - start;
    /* strays first, so that nothing else can write into the pipe or the work dir */
    kill_all_and_reap();
    long long peak_after = read_counter(peak_fd);
    if (pipefd[0] >= 0) {
        ssize_t n;
        while ((n = read(pipefd[0], buf, sizeof buf)) > 0) {
            long long keep = r->pipe_cap - pipe_total;
            if (keep > n)
                keep = n;
            if (keep > 0 && message_fd >= 0 && write(message_fd, buf, keep) < 0) {
            }
            pipe_total += n;
        }
        close(pipefd[0]);
    }
    if (message_fd >= 0)
        close(message_fd);
    o->pipe_bytes = pipe_total;
    o->tree_cpu = -1;
    if (cg_before >= 0) {
        double cg_after = read_cgroup_cpu();
        if (cg_after >= 0)
            o->tree_cpu = cg_after - cg_before - (self_cpu() - self_before);
        if (o->tree_cpu < 0 && cg_after >= 0)
            o->tree_cpu = 0;
    }

    o->user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
    o->sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
    o->cpu = o->user + o->sys;
    o->rss_kib = ru.ru_maxrss;
    if (WIFEXITED(status)) {
        o->exited = 1;
        o->code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        o->sig = WTERMSIG(status);
    }
    long oom_after = read_oom_kills();
    o->oom = oom_before >= 0 && oom_after > oom_before;

    /* the output file the program may have written (Themis TASK.OUT), copied as the program's
       uid: no symlinks, regular files only, at most fsize bytes */
    if (r->collect && *r->collect && r->collect_to && *r->collect_to) {
        int dst = open(r->collect_to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        setfsuid(r->uid);
        int cwd = open(r->cwd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int src = -1;
        if (cwd >= 0) {
            src = openat(cwd, r->collect, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (src < 0 && errno == EACCES) {
                fchmodat(cwd, r->collect, 0600, 0);
                src = openat(cwd, r->collect, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            }
            close(cwd);
        }
        setfsuid(0);
        struct stat st;
        if (src >= 0 && dst >= 0 && fstat(src, &st) == 0 && S_ISREG(st.st_mode)) {
            o->collected = 1;
            copy_fd(src, dst, r->fsize > 0 ? r->fsize + 1 : -1, &o->collected_bytes);
        }
        if (src >= 0)
            close(src);
        if (dst >= 0)
            close(dst);
    }

    /* The memory figure: the cgroup's peak during the run minus the baseline before it. The peak
       counter is exact when it rose during the run (the host resets it before each request when it
       can); otherwise the polled maximum is used. Files the judge itself puts in the cgroup are not
       the program's memory: the input copy, and the output files up to allow_kib. */
    o->cg_kib = o->cg_raw_kib = -1;
    if (mem_base >= 0) {
        long long peak = (peak_after >= 0 && peak_after > peak_before) ? peak_after : sample_max;
        long long files = o->collected_bytes;
        if (r->stdout_path && strcmp(r->stdout_path, "pipe"))
            files += file_bytes(r->stdout_path);
        if (r->stderr_path && strcmp(r->stderr_path, "stdout"))
            files += file_bytes(r->stderr_path);
        if (files > r->allow_kib * 1024)
            files = r->allow_kib * 1024;
        long long delta = peak - mem_base;
        o->cg_raw_kib = delta > 0 ? delta / 1024 : 0;
        delta -= files + input_copy;
        o->cg_kib = delta > 0 ? delta / 1024 : 0;
    }

    /* wipe everything the uid left behind */
    setfsuid(r->uid);
    int left = 0;
    if (r->wipe && *r->wipe)
        left += wipe_path(r->wipe, r->uid, 0);
    left += wipe_path("/tmp", r->uid, 1);
    left += wipe_path("/dev/shm", r->uid, 1);
    left += wipe_path("/dev/mqueue", r->uid, 1);
    setfsuid(0);
    wipe_ipc();
    o->left = left;
    return 0;
}

static void reply(const struct outcome *o)
{
    fprintf(resp,
            "{\"ok\":true,\"exited\":%s,\"code\":%d,\"signal\":%d,\"cpu\":%.6f,\"user\":%.6f,"
            "\"sys\":%.6f,\"wall\":%.6f,\"tree_cpu\":%.6f,\"rss_kib\":%ld,\"cg_kib\":%lld,\"cg_raw_kib\":%lld,"
            "\"limit\":\"%s\",\"oom\":%s,"
            "\"collected\":%s,\"collected_bytes\":%lld,\"pipe_bytes\":%lld,\"left\":%d,\"exec_error\":",
            o->exited ? "true" : "false", o->code, o->sig, o->cpu, o->user, o->sys, o->wall,
            o->tree_cpu, o->rss_kib, o->cg_kib, o->cg_raw_kib, o->limit, o->oom ? "true" : "false", o->collected ? "true" : "false",
            o->collected_bytes, o->pipe_bytes, o->left);
    json_str(resp, o->exec_error);
    fputs("}\n", resp);
    fflush(resp);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: judge-runner IODIR\n");
        return 2;
    }
    if (getpid() != 1) {
        /* kill(-1) is only confined when we are the init of a PID namespace */
        fprintf(stderr, "judge-runner must run as PID 1 of its container\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);

    if (access("/sys/fs/cgroup/cpuacct/cpuacct.usage", R_OK) == 0)
        cpu_file = "/sys/fs/cgroup/cpuacct/cpuacct.usage";
    else if (access("/sys/fs/cgroup/cpu.stat", R_OK) == 0)
        cpu_file = "/sys/fs/cgroup/cpu.stat";
    usage_fd = open("/sys/fs/cgroup/memory/memory.usage_in_bytes", O_RDONLY | O_CLOEXEC);
    if (usage_fd >= 0)
        peak_fd = open("/sys/fs/cgroup/memory/memory.max_usage_in_bytes", O_RDONLY | O_CLOEXEC);
    else if ((usage_fd = open("/sys/fs/cgroup/memory.current", O_RDONLY | O_CLOEXEC)) >= 0)
        peak_fd = open("/sys/fs/cgroup/memory.peak", O_RDONLY | O_CLOEXEC);
    if (access("/sys/fs/cgroup/memory/memory.oom_control", R_OK) == 0)
        oom_file = "/sys/fs/cgroup/memory/memory.oom_control";
    else if (access("/sys/fs/cgroup/memory.events", R_OK) == 0)
        oom_file = "/sys/fs/cgroup/memory.events";

    char path[PATH_MAX];
    /* Non-blocking opens: the host holds both FIFOs open before it starts the container, so
       they succeed at once; if the host died in between, the write open fails (ENXIO) and the
       first read sees EOF, and the runner exits instead of waiting forever for a peer. */
    snprintf(path, sizeof path, "%s/req", argv[1]);
    int req_fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    snprintf(path, sizeof path, "%s/resp", argv[1]);
    int resp_fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (req_fd >= 0)
        fcntl(req_fd, F_SETFL, fcntl(req_fd, F_GETFL) & ~O_NONBLOCK);
    if (resp_fd >= 0)
        fcntl(resp_fd, F_SETFL, fcntl(resp_fd, F_GETFL) & ~O_NONBLOCK);
    if (req_fd < 0 || resp_fd < 0) {
        fprintf(stderr, "judge-runner: cannot open the FIFOs in %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    FILE *req = fdopen(req_fd, "r");
    resp = fdopen(resp_fd, "w");
    fprintf(resp, "{\"ready\":true,\"oom_counter\":%s,\"cgroup_cpu\":%s,\"cgroup_memory\":%s}\n",
            oom_file ? "true" : "false", cpu_file ? "true" : "false", usage_fd >= 0 ? "true" : "false");
    fflush(resp);

    static char line[LINE_MAX_LEN];
    while (fgets(line, sizeof line, req)) {
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') {
            line[--len] = 0;
        } else if (len == sizeof line - 1) {
            /* longer than the protocol allows: drop the rest of it, answer once */
            int c;
            while ((c = getc(req)) != EOF && c != '\n') {
            }
            reply_error("request too long");
            continue;
        }
        if (!len)
            continue;
        unsigned a, b;
        char tail;
        if (sscanf(line, "reset\tcontestant=%u\tcompiler=%u%c", &a, &b, &tail) == 2) {
            if (a >= 1000 && b >= 1000)
                reset_container(a, b);
            else
                reply_error("bad request");
            continue;
        }
        struct request r;
        if (parse_request(line, &r) < 0) {
            reply_error("bad request");
            continue;
        }
        struct outcome o;
        if (run(&r, sfd, &o) == 0)
            reply(&o);
    }
    kill_all_and_reap();
    return 0;
}
