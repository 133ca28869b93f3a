"""The host half of the sandbox: one Docker container per submission, driven through two FIFOs.

A :class:`Sandbox` creates a private host directory ``io`` (mode 0700, bind-mounted at ``/io``)
holding two FIFOs, ``req`` and ``resp``, and starts a container of the judge image whose command is
our runner (``sandbox/runner.c``, PID 1 of the container). Every :meth:`Sandbox.execute` writes one
request line into ``req`` and reads one JSON line from ``resp``: the marginal cost of a test is the
runner's fork + exec + wait4 plus a few file operations, not a ``docker exec``.

What enters the container: the source (``/io/source``) and, for each test, only that test's input
(``/io/input``, replaced before the next test). Answers and checkers never do. The program's stdout
goes to ``/io/output`` (stderr to ``/io/stderr``), ``TASK.OUT`` is copied to ``/io/outfile``.

Container settings (see docs/sandbox.md for the threat model):

* ``network_mode="none"``; ``mem_limit == memswap_limit``; ``pids_limit``; read-only root fs;
* tmpfs ``/box`` (the program's working dir, owned by the contestant uid 1500), ``/prog`` (compiled
  program, owned by the compiler uid 1501, read-only for the contestant), ``/tmp``, ``/dev/shm``;
* ``cap_drop=ALL`` + ``SETUID``, ``SETGID``, ``KILL`` for the runner (plus ``DAC_OVERRIDE`` only when
  the host process is not root, to reach the io dir); ``no-new-privileges``; Docker's default
  seccomp profile; ``cpuset_cpus`` pinned (``JUDGE_CPUS``, or CPU ``JUDGE_WORKER_INDEX mod n``, or
  the compose replica number mod n, else the last CPU).
"""
from __future__ import annotations

import functools
import json
import os
import select
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CONTESTANT_UID = 1500
COMPILER_UID = 1501
LABEL = "tinhoctre-judge"
OWNER_LABEL = "tinhoctre-judge.owner"
CREATED_IDS: set[str] = set()  # ids of the containers this process created (tests audit them)
READY_TIMEOUT = 30.0  # seconds for the container to start and the runner to say hello
REQUEST_MAX = 65536  # bytes of one request line (runner.c: LINE_MAX_LEN)
PROTOCOL_MARGIN = 10.0  # seconds added to a request's wall limit before we give up on the runner
# seconds a reset may take (it takes milliseconds; a deep tree left by the last test is already gone):
# a container that hangs while idle costs the next submission this long, then a fresh container
RESET_TIMEOUT = 10.0


def owner() -> str:
    """Value of the owner label: which judge process (host:pid) created a container."""
    return f"{os.uname().nodename}:{os.getpid()}"


def image() -> str:
    """The judge image: ``$JUDGE_IMAGE`` or ``tinhoctre-judge:latest``."""
    return os.environ.get("JUDGE_IMAGE") or "tinhoctre-judge:latest"


IMAGE = image()


class SandboxError(Exception):
    """The sandbox failed (engine down, runner died, protocol error): a judge fault (SE)."""


class RequestRefused(ValueError):
    """A request the runner's protocol cannot carry (over ``REQUEST_MAX`` bytes, a TAB or a
    newline in a field). Built from the contestant's source (e.g. a Java class name), so the caller
    reports it as the contestant's CE, never as a judge fault."""


def host_peak_reset_enabled() -> bool:
    """Whether the host may reset the container's memory peak per test (and write its cap through
    the cgroup files): yes unless ``$JUDGE_PEAK_RESET=0``, which forces the fallback a worker gets
    when it cannot see or write the container's cgroup (not root, cgroup v2, its own PID namespace
    as in compose): the runner's 20 ms polled maximum, and ``docker update`` for the cap. Read
    when a sandbox is created (docs/sandbox.md, "How the peak is per test")."""
    return os.environ.get("JUDGE_PEAK_RESET", "").strip() != "0"


def memory_cgroup_dir(pid: int) -> Path | None:
    """The host directory of the memory cgroup of process ``pid`` (v1 ``memory`` controller or
    v2 unified hierarchy), or None when it cannot be found."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _num, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            d = Path("/sys/fs/cgroup/memory" + path)
            return d if d.is_dir() else None
    for line in lines:
        if line.startswith("0::"):
            d = Path("/sys/fs/cgroup" + line[3:])
            return d if (d / "memory.peak").exists() else None
    return None


def worker_cpus() -> str:
    """The cpuset of this worker: ``$JUDGE_CPUS``, else CPU ``index mod ncpu`` where index is
    ``$JUDGE_WORKER_INDEX`` or, for a worker running in a scaled compose service, its replica number
    minus one (``compose_replica_index``), else the last CPU of the machine."""
    if os.environ.get("JUDGE_CPUS"):
        return os.environ["JUDGE_CPUS"]
    ncpu = os.cpu_count() or 1
    if os.environ.get("JUDGE_WORKER_INDEX", "").isdigit():
        return str(int(os.environ["JUDGE_WORKER_INDEX"]) % ncpu)
    replica = _own_replica_index()
    if replica is not None:
        return str(replica % ncpu)
    return str(ncpu - 1)


@functools.lru_cache(maxsize=1)
def _own_replica_index() -> int | None:
    return compose_replica_index()


def compose_replica_index(marker: str = "/.dockerenv", hostname: str | None = None) -> int | None:
    """Inside a container of a compose service scaled with ``--scale worker=N``: the replica's
    ``com.docker.compose.container-number`` label (1..N) minus one, read from the engine the worker
    already talks to (a container's hostname is its id). None outside a container (no ``marker``),
    without an engine, or without the label. Without it every replica would pin its sandboxes to the
    same CPU."""
    if not os.path.exists(marker):
        return None
    try:
        labels = docker_client().containers.get(hostname or os.uname().nodename).labels or {}
    except Exception:  # no engine, or not a container of this engine: not pinned by replica
        return None
    number = labels.get("com.docker.compose.container-number", "")
    return int(number) - 1 if number.isdigit() and int(number) > 0 else None


def io_root() -> str:
    """Where per-submission io dirs are made: ``$JUDGE_IO_ROOT``, else /dev/shm (RAM) when it has
    at least 1 GiB free, else TMPDIR."""
    root = os.environ.get("JUDGE_IO_ROOT")
    if root:
        return root
    try:
        st = os.statvfs("/dev/shm")
        if os.access("/dev/shm", os.W_OK) and st.f_bavail * st.f_frsize >= 1 << 30:
            return "/dev/shm"  # outputs of up to 64 MiB per test need room
    except OSError:
        pass
    return tempfile.gettempdir()


_client = None
_client_lock = threading.Lock()


def docker_client():
    """A shared Docker SDK client (API version negotiated with the engine)."""
    global _client
    with _client_lock:
        if _client is None:
            import docker

            try:
                _client = docker.from_env(version="auto", timeout=60)
            except Exception as exc:  # docker.errors.DockerException and friends
                raise SandboxError(f"cannot reach the Docker engine: {exc}") from exc
        return _client


@dataclass
class RunLimits:
    cpu: float  # seconds of CPU (user + system)
    wall: float  # seconds of wall-clock time
    stack_mib: int = 0  # RLIMIT_STACK, 0 = unchanged
    address_space_mib: int = 0  # RLIMIT_AS, 0 = none
    rss_mib: int = 0  # the runner kills the program when its resident memory exceeds this; 0 = no
    # limit of the container's memory figure (cgroup peak - baseline - allowance), MiB; 0 = none.
    # The runner kills the program when the polled figure passes it; the caller judges the peak.
    memory_mib: int = 0
    output_allowance_kib: int = 0  # up to this much of the output files is not counted as memory
    file_size: int = 64 << 20  # RLIMIT_FSIZE, bytes: caps stdout, stderr and every file written
    nofile: int = 64


@dataclass
class RunOutcome:
    """What the runner measured for one program run."""

    exited: bool
    exit_code: int
    signal: int
    cpu: float  # seconds, user + system (ru_utime + ru_stime)
    user: float
    sys: float
    wall: float
    memory_kib: int  # ru_maxrss
    tree_cpu: float  # CPU of the container's cgroup during the run minus the runner's; -1 unknown
    limit: str  # "" | "cpu" | "wall" | "memory": the runner killed it for that
    oom: bool  # the container's memory cgroup killed something during the run
    exec_error: str
    collected: bool = False  # the program wrote the `collect` file
    collected_bytes: int = 0
    pipe_bytes: int = 0  # total bytes the program wrote into the message pipe
    # memory of the whole container during the run, KiB: cgroup peak minus the baseline before the
    # fork, minus the input copy and the output files (up to the allowance); -1 unknown
    cgroup_kib: int = -1
    left: int = 0  # entries the wipe could not remove
    raw: dict = field(default_factory=dict)


class Sandbox:
    """One container for one submission. Use as a context manager::

        with Sandbox(memory_mib=1024) as box:
            box.put_file("source", code)
            out = box.execute([...], uid=COMPILER_UID, cwd="/prog", limits=..., stdin="source", ...)
    """

    def __init__(self, *, memory_mib: int = 1024, pids: int = 128, cpus: str | None = None,
                 image_name: str | None = None, box_mib: int = 256, prog_mib: int = 256,
                 tmp_mib: int = 128):
        self.memory_mib = memory_mib
        self.pids = pids
        self.cpus = cpus or worker_cpus()
        self.image = image_name or image()
        self.box_mib, self.prog_mib, self.tmp_mib = box_mib, prog_mib, tmp_mib
        self.io: Path | None = None
        self.container = None
        self._req = self._resp = -1
        self._buf = b""
        self._healthy = False  # True while the runner answers; False after any protocol failure
        self.ready_info: dict = {}
        self._peak_fd = -1  # host fd of the cgroup's peak counter, written to reset it per run
        self._cgroup: Path | None = None  # host dir of the container's memory cgroup (v1), if writable
        self.image_id = ""  # the image the container was created from (sha256:...)
        self.uses = 0  # submissions judged in this container (see acquire())
        self.host_peak = host_peak_reset_enabled()  # False: the polling fallback is forced

    # -- life cycle ---------------------------------------------------------------------------
    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        client = docker_client()
        self.io = Path(tempfile.mkdtemp(prefix="judge-", dir=io_root()))
        os.chmod(self.io, 0o700)
        os.mkfifo(self.io / "req", 0o600)
        os.mkfifo(self.io / "resp", 0o600)
        # O_RDWR opens of a FIFO never block; the runner's opens then succeed at once.
        self._req = os.open(self.io / "req", os.O_RDWR | os.O_CLOEXEC)
        resp_rw = os.open(self.io / "resp", os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)
        self._resp = resp_rw
        caps = ["SETUID", "SETGID", "KILL"]
        if os.geteuid() != 0:
            caps.append("DAC_OVERRIDE")  # the io dir belongs to another uid than the container's root
        tmpfs_common = "rw,nosuid,nodev"
        try:
            self.container = client.containers.create(
                self.image,
                command=["/io"],
                detach=True,
                network_mode="none",
                mem_limit=f"{self.memory_mib}m",
                memswap_limit=f"{self.memory_mib}m",
                pids_limit=self.pids,
                cpuset_cpus=self.cpus,
                read_only=True,
                tmpfs={
                    "/box": f"{tmpfs_common},noexec,size={self.box_mib}m,mode=0755,uid={CONTESTANT_UID},gid={CONTESTANT_UID}",
                    "/prog": f"{tmpfs_common},exec,size={self.prog_mib}m,mode=0755,uid={COMPILER_UID},gid={COMPILER_UID}",
                    "/tmp": f"{tmpfs_common},noexec,size={self.tmp_mib}m,mode=1777",
                },
                shm_size=16 << 20,
                ipc_mode="private",
                cap_drop=["ALL"],
                cap_add=caps,
                security_opt=["no-new-privileges"],
                volumes={str(self.io): {"bind": "/io", "mode": "rw"}},
                user="0:0",
                working_dir="/",
                labels={LABEL: "1", OWNER_LABEL: owner()},
                auto_remove=True,
                log_config={"type": "none", "config": {}},
                hostname="judge",
                environment={},
            )
            CREATED_IDS.add(self.container.id)
            self.container.start()
        except SandboxError:
            self.close()
            raise
        except Exception as exc:
            self.close()
            raise SandboxError(f"cannot start the judge container ({self.image}): {exc}") from exc
        try:
            self.ready_info = self._read_line(READY_TIMEOUT)
        except SandboxError:
            self.close()
            raise
        self._healthy = True
        self._open_peak_reset()
        # From now on read through a read-only descriptor, so that the runner's death is an EOF.
        self._resp = os.open(self.io / "resp", os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        os.close(resp_rw)

    def _open_peak_reset(self) -> None:
        """Open the container's memory peak counter for writing (cgroup v1
        ``memory.max_usage_in_bytes``; writing resets it to the current usage), so that every run's
        peak is its own. Best effort: it needs write access to the host's cgroup files (a root
        worker); without it the runner falls back to its polled maximum (docs/sandbox.md). On
        cgroup v2 a reset of ``memory.peak`` only applies to the descriptor that wrote it, which
        is not the runner's, so nothing is done there. ``JUDGE_PEAK_RESET=0`` (``host_peak``
        False) skips it on purpose, as a worker that cannot see the container's cgroup would."""
        try:
            self.container.reload()
            self.image_id = self.container.attrs.get("Image", "")
            pid = int(self.container.attrs["State"]["Pid"])
        except Exception:
            return
        if not self.host_peak:
            return
        d = memory_cgroup_dir(pid)
        if d is None or not (d / "memory.max_usage_in_bytes").exists():
            return
        try:
            fd = os.open(d / "memory.max_usage_in_bytes", os.O_WRONLY | os.O_CLOEXEC)
            os.write(fd, b"0")
        except OSError:
            return
        self._peak_fd = fd
        if os.access(d / "memory.limit_in_bytes", os.W_OK):
            self._cgroup = d

    @property
    def peak_reset(self) -> bool:
        """True when each run's memory peak is exact (the host resets the counter)."""
        return self._peak_fd >= 0

    def set_memory(self, mib: int) -> None:
        """Change the container's hard memory cap (memory = memory + swap) to ``mib`` MiB."""
        if self.container is None:
            raise SandboxError("the sandbox is not running")
        if mib == self.memory_mib:
            return
        if self._cgroup is not None and self._write_cgroup_limit(mib):
            self.memory_mib = mib
            return
        try:
            self.container.update(mem_limit=f"{mib}m", memswap_limit=f"{mib}m")
        except Exception as exc:
            raise SandboxError(f"cannot set the container's memory to {mib} MiB: {exc}") from exc
        self.memory_mib = mib

    def _write_cgroup_limit(self, mib: int) -> bool:
        """Set the cap through the host's cgroup v1 files (a root worker), which costs two writes
        instead of a round trip through the engine. memory+swap must stay >= memory, so it is
        written first when the cap rises and last when it falls. False when a write failed (the
        caller then asks the engine)."""
        d = self._cgroup
        assert d is not None
        value = str(mib << 20).encode()
        names = ["memory.memsw.limit_in_bytes", "memory.limit_in_bytes"]
        if not (d / names[0]).exists():
            names = names[1:]
        elif mib < self.memory_mib:
            names.reverse()
        try:
            for name in names:
                fd = os.open(d / name, os.O_WRONLY | os.O_CLOEXEC)
                try:
                    os.write(fd, value)
                finally:
                    os.close(fd)
        except OSError:
            return False
        return True

    def close(self) -> None:
        """Stop the sandbox. When the runner is healthy, closing its request FIFO is enough: it
        kills whatever is left, exits, and the engine removes the container by itself
        (``auto_remove``) without making us wait. Otherwise the container is removed by force.
        Either way nothing survives the judge process: if it dies, the kernel closes the FIFO."""
        for fd in (self._req, self._resp, self._peak_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._req = self._resp = self._peak_fd = -1
        self._cgroup = None
        if self.container is not None:
            if not self._healthy:
                try:
                    self.container.remove(force=True)
                except Exception:
                    pass
            self.container = None
        if self.io is not None:
            shutil.rmtree(self.io, ignore_errors=True)
            self.io = None

    def discard(self) -> None:
        """Close after a fault: the container is removed by force, never reused."""
        self._healthy = False
        self.close()

    @property
    def alive(self) -> bool:
        return self._req >= 0 and self._healthy

    def key(self) -> tuple:
        """What a reused container must match: image, CPUs, pids, tmpfs sizes and whether the host
        resets its memory peak (the memory cap is changed in place)."""
        return (self.image, self.cpus, self.pids, self.box_mib, self.prog_mib, self.tmp_mib,
                self.host_peak)

    def reset(self, timeout: float | None = None) -> dict:
        """Make a used container as fresh as a new one, for the next submission (another
        contestant's): the host empties the io dir (all but the FIFOs), the runner kills every
        process, wipes both uids' files from /box, /prog, /tmp, /dev/shm, /dev/mqueue, removes every
        System V IPC object and then checks that nothing is left. Raises SandboxError (and the
        container must be discarded) unless the runner proves it clean."""
        if not self.alive:
            raise SandboxError("the sandbox is not running")
        assert self.io is not None
        for entry in os.scandir(self.io):
            if entry.name not in ("req", "resp"):
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
        try:
            os.write(self._req, f"reset\tcontestant={CONTESTANT_UID}\tcompiler={COMPILER_UID}\n".encode())
        except OSError as exc:
            self._healthy = False
            raise SandboxError(f"cannot write to the runner: {exc}") from exc
        self._healthy = False  # until the reply proves it clean
        reply = self._read_line(RESET_TIMEOUT if timeout is None else timeout)
        if not (reply.get("reset") and reply.get("clean")):
            raise SandboxError(f"the container could not be reset: {reply}")
        self._healthy = True
        return reply

    # -- files in /io -------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        assert self.io is not None
        return self.io / name

    def put_file(self, name: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        self.path(name).write_bytes(data)

    def put_copy(self, name: str, source: Path) -> None:
        """Place a copy of a host file (a test's input) at /io/<name>."""
        dest = self.path(name)
        try:
            dest.unlink()
        except FileNotFoundError:
            pass
        shutil.copyfile(source, dest)

    def read_file(self, name: str, limit: int) -> bytes:
        """At most ``limit`` bytes of /io/<name>; b"" if it does not exist."""
        try:
            with open(self.path(name), "rb") as f:
                return f.read(limit)
        except FileNotFoundError:
            return b""

    def file_size(self, name: str) -> int:
        try:
            return os.stat(self.path(name)).st_size
        except FileNotFoundError:
            return 0

    def remove_file(self, name: str) -> None:
        try:
            os.unlink(self.path(name))
        except FileNotFoundError:
            pass

    # -- protocol -----------------------------------------------------------------------------
    def _read_line(self, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError(f"the runner did not answer within {timeout:.0f} s{self._state()}")
            ready, _, _ = select.select([self._resp], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(self._resp, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                raise SandboxError(f"the runner closed its channel{self._state()}")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        try:
            return json.loads(line)
        except ValueError as exc:
            raise SandboxError(f"unreadable runner reply {line[:200]!r}") from exc

    def _state(self) -> str:
        if self.container is None:
            return ""
        try:
            self.container.reload()
            st = self.container.attrs.get("State", {})
            return f" (container {st.get('Status')}, exit code {st.get('ExitCode')}, oom {st.get('OOMKilled')})"
        except Exception:
            return ""

    def execute(self, argv: list[str], *, uid: int, cwd: str, limits: RunLimits,
                stdin: str | None = None, copy_as: str | None = None, stdout: str | None = None,
                stderr: str | None = None, pipe_to: str | None = None, pipe_cap: int = 65536,
                collect: str | None = None, collect_to: str | None = None, wipe: str | None = None,
                env: dict[str, str] | None = None) -> RunOutcome:
        """Run ``argv`` in the container as ``uid`` and return what the runner measured.

        ``stdin``/``stdout``/``stderr``/``pipe_to``/``collect_to`` name files of /io; ``stdout="pipe"``
        merges stdout and stderr into a pipe whose first ``pipe_cap`` bytes land in ``pipe_to``.
        Raises :class:`RequestRefused` (nothing sent) when the protocol cannot carry the request.
        """
        line = self.request(argv, uid=uid, cwd=cwd, limits=limits, stdin=stdin, copy_as=copy_as,
                            stdout=stdout, stderr=stderr, pipe_to=pipe_to, pipe_cap=pipe_cap,
                            collect=collect, collect_to=collect_to, wipe=wipe, env=env)
        return self.send(line, limits.wall)

    def request(self, argv: list[str], *, uid: int, cwd: str, limits: RunLimits,
                stdin: str | None = None, copy_as: str | None = None, stdout: str | None = None,
                stderr: str | None = None, pipe_to: str | None = None, pipe_cap: int = 65536,
                collect: str | None = None, collect_to: str | None = None, wipe: str | None = None,
                env: dict[str, str] | None = None) -> bytes:
        """The request line of :meth:`execute`, checked but not sent: raises
        :class:`RequestRefused` when the runner's protocol cannot carry it (callers that must
        not start anything else first, e.g. the interactive validator, build it beforehand)."""
        if uid < 1000:
            raise ValueError("programs never run as a privileged uid")

        def io(name: str | None) -> str | None:
            if name is None or name in ("pipe", "stdout"):
                return name
            return f"/io/{name}"

        fields = {
            "uid": uid, "cwd": cwd,
            "cpu_ms": max(1, int(limits.cpu * 1000)), "wall_ms": max(1, int(limits.wall * 1000)),
            "stack_kib": limits.stack_mib * 1024, "as_kib": limits.address_space_mib * 1024,
            "rss_kib": limits.rss_mib * 1024, "mem_kib": limits.memory_mib * 1024,
            "allow_kib": limits.output_allowance_kib,
            "fsize": limits.file_size, "nofile": limits.nofile,
            "stdin": io(stdin), "copy_as": copy_as, "stdout": io(stdout), "stderr": io(stderr),
            "pipe_to": io(pipe_to), "pipe_cap": pipe_cap, "collect": collect,
            "collect_to": io(collect_to), "wipe": wipe,
        }
        parts = [f"{k}={v}" for k, v in fields.items() if v is not None and v != ""]
        for k, v in (env or {}).items():
            parts.append(f"env={k}={v}")
        parts.append("--")
        parts.extend(argv)
        for p in parts:
            if "\t" in p or "\n" in p or "\0" in p:
                raise RequestRefused(f"tabs, newlines and NUL are not allowed in a request: {p[:80]!r}")
        line = ("\t".join(parts) + "\n").encode("utf-8", "surrogateescape")
        if len(line) >= REQUEST_MAX:
            raise RequestRefused(f"request of {len(line)} bytes, over the limit of {REQUEST_MAX}")
        return line

    def send(self, line: bytes, wall: float) -> RunOutcome:
        """Send a request line built by :meth:`request` and return what the runner measured
        (``wall``: the run's wall limit, seconds)."""
        if self._req < 0:
            raise SandboxError("the sandbox is not running")
        if self._peak_fd >= 0:
            try:
                os.write(self._peak_fd, b"0")  # this run's peak starts at the current usage
            except OSError:
                pass
        try:
            os.write(self._req, line)
        except OSError as exc:
            raise SandboxError(f"cannot write to the runner: {exc}") from exc
        self._healthy = False  # until the reply arrives
        reply = self._read_line(wall + PROTOCOL_MARGIN)
        self._healthy = True
        if not reply.get("ok"):
            raise SandboxError(f"runner error: {reply.get('error', reply)}")
        if reply.get("left"):
            self._healthy = False  # never reuse a container whose work dir is not clean
            raise SandboxError(f"{reply['left']} entries could not be wiped after the run")
        return RunOutcome(
            exited=reply["exited"], exit_code=reply["code"], signal=reply["signal"],
            cpu=reply["cpu"], user=reply["user"], sys=reply["sys"], wall=reply["wall"],
            tree_cpu=reply.get("tree_cpu", -1.0),
            memory_kib=reply["rss_kib"], limit=reply["limit"], oom=reply["oom"],
            exec_error=reply["exec_error"], collected=reply["collected"],
            collected_bytes=reply["collected_bytes"], pipe_bytes=reply["pipe_bytes"],
            cgroup_kib=reply.get("cg_kib", -1), left=reply.get("left", 0), raw=reply,
        )


def wait_for_removal(timeout: float = 60.0) -> None:
    """Block until every container this process created has been removed by the engine.

    :meth:`Sandbox.close` returns as soon as the runner was told to exit; the engine removes the
    container a little later. Tests call this before checking that nothing was left behind. It
    uses the engine's own wait (condition "removed"); since that wait can miss a removal that
    races with it, each wait is bounded and followed by an inspect."""
    import docker

    drain()  # containers kept for the next submission go too
    api = docker_client().api
    deadline = time.monotonic() + timeout
    for cid in list(CREATED_IDS):
        while True:
            try:
                api.wait(cid, timeout=2, condition="removed")
                break
            except docker.errors.NotFound:
                break
            except Exception:
                try:
                    api.inspect_container(cid)
                except docker.errors.NotFound:
                    break
                if time.monotonic() > deadline:
                    raise SandboxError(f"container {cid[:12]} was not removed") from None
        CREATED_IDS.discard(cid)


def leftover_containers(mine_only: bool = True) -> list:
    """Judge containers still present (running or not): those this process created, or all of
    them with ``mine_only=False`` (other judge processes may be running). None when idle."""
    label = f"{OWNER_LABEL}={owner()}" if mine_only else LABEL
    return docker_client().containers.list(all=True, filters={"label": label})


def remove_leftovers(mine_only: bool = False) -> int:
    """Remove judge containers (after a crash of a worker). Returns how many."""
    n = 0
    for c in leftover_containers(mine_only):
        try:
            c.remove(force=True)
            n += 1
        except Exception:
            pass
    return n


# -- containers kept between submissions ------------------------------------------------------
DEFAULT_REUSE_SUBMISSIONS = 50
_idle: list[Sandbox] = []  # containers of this process waiting for the next submission
_idle_lock = threading.Lock()
IDLE_MAX = 2  # containers kept idle per process (one per concurrent judging thread is enough)


def reuse_submissions() -> int:
    """How many submissions one container judges before it is replaced:
    ``$JUDGE_REUSE_SUBMISSIONS`` (default 50). 0 (or ``JUDGE_CONTAINER_REUSE=0``) restores the
    old mode: a fresh container per submission."""
    if os.environ.get("JUDGE_CONTAINER_REUSE", "").strip() == "0":
        return 0
    raw = os.environ.get("JUDGE_REUSE_SUBMISSIONS", "").strip()
    if raw.isdigit():
        return int(raw)
    return DEFAULT_REUSE_SUBMISSIONS


def _current_image_id(name: str) -> str | None:
    try:
        return docker_client().api.inspect_image(name)["Id"]
    except Exception:
        return None  # the engine will say more when a container is created


def acquire(*, memory_mib: int, box_mib: int, **kwargs) -> Sandbox:
    """A running sandbox for one submission: an idle container of this process that matches
    (same image id, CPUs, sizes), judged fewer than :func:`reuse_submissions` submissions and
    proven clean by :meth:`Sandbox.reset`, with its memory cap set to ``memory_mib``; else a new
    one. Give it back with :func:`release` (or :meth:`Sandbox.discard` after a fault)."""
    fresh = Sandbox(memory_mib=memory_mib, box_mib=box_mib, **kwargs)
    if reuse_submissions() > 0:
        with _idle_lock:
            match = next((b for b in _idle if b.key() == fresh.key()), None)
            if match is not None:
                _idle.remove(match)
        if match is not None:
            try:
                if match.image_id != _current_image_id(match.image):
                    raise SandboxError("the judge image changed")
                match.reset()
                match.set_memory(memory_mib)
                match.uses += 1
                return match
            except SandboxError:
                match.discard()  # dead, hung, dirty or outdated: a fresh container instead
    fresh.start()
    fresh.uses = 1
    return fresh


def release(box: Sandbox) -> None:
    """The submission is judged: keep the container for the next one if it is healthy and has
    uses left, else close it (the engine removes it)."""
    limit = reuse_submissions()
    if not box.alive or box.uses >= limit:
        box.close()
        return
    with _idle_lock:
        _idle.append(box)
        surplus = _idle[:-IDLE_MAX] if len(_idle) > IDLE_MAX else []
        del _idle[:len(surplus)]
    for old in surplus:
        old.close()


def drain() -> int:
    """Close every idle container of this process (at exit, and before tests check that nothing
    is left). Returns how many."""
    with _idle_lock:
        boxes = list(_idle)
        _idle.clear()
    for b in boxes:
        b.close()
    return len(boxes)


import atexit  # noqa: E402

atexit.register(drain)
