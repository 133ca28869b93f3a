"""Program checkers; this module registers them in :data:`judge.checkers.CHECKERS`, and
:func:`judge.checkers.get_checker` loads it on first use.

Program checkers — all compiled once per submission and run **inside a sandbox container of their
own** (never on the host, never in the contestant's container):

``kattis``  ``validator input answer feedback_dir/ [args] < output``; exit 42 accepts, 43 rejects,
            anything else is a judge error; ``score.txt`` (a number) and ``judgemessage.txt`` are
            read back from the feedback dir.
``themis``  the checker reads two lines on stdin — the test's folder (holding ``TASK.INP`` and
            the judge's ``TASK.OUT``) and the folder with the contestant's ``TASK.OUT`` — and prints
            its message and, on the last line, the score ratio 0..1.
``testlib`` ``checker input output answer`` built against the package's own ``testlib.h``; exit
            0 accepts, 1/2 reject, 7 gives partial points (``points X`` in its output, X in 0..1),
            anything else is a judge error.

Inside the checker container, the package files are under ``/io/src`` and each test's files under
``/io/t``; the io folder of that container is made traversable (0711) so that the checker's
unprivileged uid can open them, while the runner's FIFOs stay 0600.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from judge.checkers import CheckContext, CheckerError, CheckResult, register
from judge.languages import PROG_DIR, language_for_file
from judge.problem import Checker as CheckerSpec
from judge.problem import Problem, ProblemError
from judge.sandbox import COMPILER_UID, CONTESTANT_UID, RunLimits, Sandbox, SandboxError

CHECK_CPU = 10.0  # seconds of CPU per check
CHECK_WALL = 20.0
COMPILE_CPU = 60.0
MESSAGE_CAP = 16 * 1024
CHECKER_LANGUAGES = ("c", "cpp", "python3")  # keys of judge.languages.LANGUAGES
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp"}
_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


# -- program checkers ---------------------------------------------------------------------------
def _support_files(spec: CheckerSpec) -> list[Path]:
    """The checker source plus the headers / helper modules next to it (never the test data)."""
    src = Path(spec.source)
    out = [src]
    folder = Path(spec.include_dir or src.parent)
    for f in sorted(folder.iterdir()):
        if f.is_file() and f != src and f.suffix.lower() in ({".h", ".hpp", ".hh"} | ({".py"} if src.suffix == ".py" else set())):
            out.append(f)
    return out


class ProgramChecker:
    """A compiled checker living in its own sandbox container for one submission's judging."""

    def __init__(self, problem: Problem, memory_mib: int = 1024):
        spec = problem.checker
        if spec.source is None:
            raise ProblemError(f"{problem.code}: checker kind {spec.kind!r} needs a source file")
        self.problem = problem
        self.spec = spec
        self.kind = spec.kind
        self.source = Path(spec.source)
        try:
            self.lang = language_for_file(self.source)
        except KeyError:
            self.lang = None
        if self.lang is None or self.lang.key not in CHECKER_LANGUAGES:
            raise ProblemError(f"{self._shown()}: unsupported checker language (use C, C++ or Python 3)")
        self.box = Sandbox(memory_mib=memory_mib, box_mib=64)
        self.argv0: list[str] = []

    def _shown(self) -> str:
        try:
            return str(self.source.relative_to(self.problem.path))
        except ValueError:
            return str(self.source)

    # life cycle
    def start(self) -> None:
        self.box.start()
        io = self.box.io
        assert io is not None
        os.chmod(io, 0o711)
        src_dir = io / "src"
        src_dir.mkdir(mode=0o755)
        for f in _support_files(self.spec):
            shutil.copyfile(f, src_dir / f.name)
            os.chmod(src_dir / f.name, 0o644)
        (io / "t").mkdir(mode=0o755)
        self._compile()

    def close(self) -> None:
        self.box.close()

    def _compile(self) -> None:
        name = self.source.name
        # the language registry's own command lines, on the source where it lies (/io/src, its
        # headers and helper modules beside it, and on the include path through CPATH)
        src = f"/io/src/{name}"
        argv = self.lang.compile(src) if self.lang.compile else ["/bin/true"]
        self.argv0 = self.lang.run(src, 1024)
        native = self.argv0[0].startswith(PROG_DIR + "/")  # a binary the compiler wrote
        if native:
            key = build_key(argv, [f for f in _support_files(self.spec)])
            if restore_binary(self.box, key, "main"):
                return
        out = self.box.execute(
            argv, uid=COMPILER_UID, cwd="/prog",
            limits=RunLimits(cpu=COMPILE_CPU, wall=COMPILE_CPU, stack_mib=256, nofile=256),
            stdout="pipe", pipe_to="compile_message", pipe_cap=MESSAGE_CAP,
            env={**ENV, "CPATH": "/io/src"},
        )
        if out.exec_error:
            raise SandboxError(f"cannot start the checker compiler: {out.exec_error}")
        if out.limit or out.signal or out.exit_code != 0:
            msg = self.box.read_file("compile_message", MESSAGE_CAP).decode("utf-8", "replace").strip()
            raise ProblemError(f"{self._shown()}: the {self.kind} checker does not compile:\n{msg[-3000:]}")
        if native:
            save_binary(self.box, key, "main")

    # one check
    def _fresh_test_dir(self) -> Path:
        t = self.box.path("t")
        for p in t.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
        return t

    def _put(self, dest: Path, data: bytes | Path) -> None:
        if isinstance(data, Path):
            shutil.copyfile(data, dest)
        else:
            dest.write_bytes(data)
        os.chmod(dest, 0o644)

    def _run(self, argv: list[str], stdin: str | None) -> tuple[int, int, str]:
        out = self.box.execute(
            self.argv0 + argv, uid=CONTESTANT_UID, cwd="/box",
            limits=RunLimits(cpu=CHECK_CPU, wall=CHECK_WALL, stack_mib=256, nofile=64),
            stdin=stdin, stdout="check_out", stderr="check_err", wipe="/box", env=ENV,
        )
        if out.exec_error:
            raise CheckerError(f"cannot start the checker: {out.exec_error}")
        if out.limit or out.oom:
            raise CheckerError(f"the checker {self._shown()} ran out of {'time' if out.limit else 'memory'}")
        text = (self.box.read_file("check_out", MESSAGE_CAP) + b"\n" + self.box.read_file("check_err", MESSAGE_CAP))
        return out.exit_code if out.exited else -1, out.signal, text.decode("utf-8", "replace")

    def check(self, test, output: bytes) -> tuple[CheckResult, float | None]:
        t = self._fresh_test_dir()
        if self.kind == "kattis":
            self._put(t / "input", test.input_path)
            self._put(t / "answer", test.answer_path)
            self._put(t / "output", output)
            fb = t / "feedback"
            fb.mkdir()
            os.chmod(fb, 0o777)
            args = list(getattr(test, "validator_args", None) or self.spec.args)
            code, sig, text = self._run(["/io/t/input", "/io/t/answer", "/io/t/feedback/", *args], "t/output")
            return kattis_outcome(code, sig, text, fb)
        if self.kind == "themis":
            tdir, udir = t / "test", t / "user"
            tdir.mkdir(mode=0o755)
            udir.mkdir(mode=0o755)
            inp = self.problem.input_file or test.input_path.name
            outname = self.problem.output_file or test.answer_path.name
            self._put(tdir / inp, test.input_path)
            self._put(tdir / test.answer_path.name, test.answer_path)
            self._put(udir / outname, output)
            self._put(t / "paths", b"/io/t/test\n/io/t/user\n")
            code, sig, text = self._run([], "t/paths")
            return themis_outcome(code, sig, text), None
        if self.kind == "testlib":
            self._put(t / "input", test.input_path)
            self._put(t / "answer", test.answer_path)
            self._put(t / "output", output)
            code, sig, text = self._run(["/io/t/input", "/io/t/output", "/io/t/answer"], None)
            return testlib_outcome(code, sig, text), None
        raise CheckerError(f"unknown program checker kind {self.kind!r}")


# -- compiled binaries are kept (in memory, per process) so that the next submission's checker
# container does not compile the same checker again: the binary is copied out of /prog by the
# runner's `collect` and copied back into a fresh container's /prog with `copy_as` + chmod.
_BINARIES: dict[str, bytes] = {}
_BINARIES_MAX = 32


def build_key(argv: list[str], files: list[Path]) -> str:
    import hashlib

    h = hashlib.sha256("\0".join(argv).encode())
    for f in files:
        h.update(f.name.encode() + b"\0" + Path(f).read_bytes() + b"\0")
    return h.hexdigest()


def save_binary(box: Sandbox, key: str, name: str) -> None:
    out = box.execute(["/bin/true"], uid=COMPILER_UID, cwd="/prog",
                      limits=RunLimits(cpu=5, wall=10, file_size=256 << 20),
                      collect=name, collect_to=f"{name}.bin", env=ENV)
    data = box.read_file(f"{name}.bin", 256 << 20) if out.collected else b""
    box.remove_file(f"{name}.bin")
    if data:
        if len(_BINARIES) >= _BINARIES_MAX:
            _BINARIES.pop(next(iter(_BINARIES)))
        _BINARIES[key] = data


def restore_binary(box: Sandbox, key: str, name: str) -> bool:
    data = _BINARIES.get(key)
    if data is None:
        return False
    box.put_file(f"{name}.bin", data)
    out = box.execute(["/bin/chmod", "755", f"/prog/{name}"], uid=COMPILER_UID, cwd="/prog",
                      limits=RunLimits(cpu=5, wall=10, file_size=256 << 20),
                      stdin=f"{name}.bin", copy_as=name, env=ENV)
    box.remove_file(f"{name}.bin")
    if out.exec_error or out.exit_code != 0 or out.signal:
        _BINARIES.pop(key, None)
        return False
    return True


def kattis_outcome(code: int, sig: int, text: str, feedback: Path) -> tuple[CheckResult, float | None]:
    def read(name: str) -> str:
        f = feedback / name
        try:
            return f.read_text(errors="replace")[:MESSAGE_CAP] if f.is_file() else ""
        except OSError:
            return ""

    message = (read("judgemessage.txt") or read("teammessage.txt")).strip()
    score = None
    score_text = read("score.txt").strip()
    if score_text:
        try:
            score = float(score_text.split()[0])
        except ValueError:
            raise CheckerError(f"the output validator wrote a score.txt that is not a number: {score_text[:50]!r}")
    if code == 42:
        return CheckResult(True, 1.0, message or "accepted"), score
    if code == 43:
        return CheckResult(False, 0.0, message or "wrong answer"), None
    raise CheckerError(
        f"the output validator failed ({'signal ' + str(sig) if sig else 'exit code ' + str(code)}): "
        f"{(message or text).strip()[:500]}"
    )


def themis_outcome(code: int, sig: int, text: str) -> CheckResult:
    if sig or code != 0:
        raise CheckerError(f"the Themis checker failed ({'signal ' + str(sig) if sig else 'exit code ' + str(code)}): {text.strip()[:500]}")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if _FLOAT.fullmatch(lines[i]):
            ratio = min(max(float(lines[i]), 0.0), 1.0)
            message = " ".join(lines[:i])[:500]
            return CheckResult(ratio >= 1.0 - 1e-9, ratio, message or ("ok" if ratio >= 1 else "wrong"))
    raise CheckerError(f"the Themis checker printed no score (last line must be a number 0..1): {text.strip()[:200]!r}")


def testlib_outcome(code: int, sig: int, text: str) -> CheckResult:
    msg = text.strip()[:500]
    if sig:
        raise CheckerError(f"the testlib checker was killed by signal {sig}: {msg}")
    if code == 0:
        return CheckResult(True, 1.0, msg or "ok")
    if code in (1, 2):
        return CheckResult(False, 0.0, msg or "wrong answer")
    if code == 7:
        m = re.search(r"points\s+(" + _FLOAT.pattern + ")", text)
        if not m:
            raise CheckerError(f"the testlib checker gave partial points without a value: {msg}")
        ratio = min(max(float(m.group(1)), 0.0), 1.0)
        return CheckResult(ratio >= 1.0, ratio, msg)
    raise CheckerError(f"the testlib checker failed (exit code {code}): {msg}")


def _program_checker(context: CheckContext) -> ProgramChecker:
    pc = context.cache.get("program_checker")
    if pc is None:
        pc = ProgramChecker(context.problem)
        try:
            pc.start()
        except ProblemError as exc:
            pc.close()
            raise CheckerError(str(exc)) from exc
        except BaseException:
            pc.close()
            raise
        context.cache["program_checker"] = pc
        closers = context.cache.setdefault("closers", [])
        closers.append(pc.close)
    return pc


def program_check(input_path: Path, answer_path: Path, output: bytes, flags: dict,
                  context: CheckContext) -> CheckResult:
    if context.problem is None or context.test is None:
        raise CheckerError("a program checker needs the problem and the test in its context")
    result, score = _program_checker(context).check(context.test, output)
    if score is not None:
        context.cache.setdefault("validator_scores", {})[context.test.name] = score
    return result


def close_checkers(context: CheckContext) -> None:
    """Stop the checker containers this submission started (idempotent)."""
    for close in context.cache.pop("closers", []):
        try:
            close()
        except Exception:
            pass
    context.cache.pop("program_checker", None)


PROGRAM_CHECKER_KINDS = ("kattis", "themis", "testlib")


def needs_compile(problem: Problem) -> bool:
    """Whether the problem's checker is a program that must be compiled (in a sandbox) before use."""
    return problem.checker.kind in PROGRAM_CHECKER_KINDS


def compile_checker(problem: Problem) -> None:
    """Build the problem's program checker once, in a sandbox, and throw it away.

    Raises :class:`ProblemError` naming the checker source when it does not compile; used by
    ``judge verify`` (and by an import step) so that a broken package is refused up front.
    """
    if not needs_compile(problem):
        return
    pc = ProgramChecker(problem)
    try:
        pc.start()
    finally:
        pc.close()


register("kattis", program_check, streams=True)
register("themis", program_check, streams=True)
register("testlib", program_check, streams=True)
