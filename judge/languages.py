"""The registry of programming languages: how to name, compile and run a source in the sandbox.

``LANGUAGES[key]`` is a :class:`Language`. Compilation happens inside the submission's container,
in ``/prog`` (writable only by the compiler's uid), and the program then runs from there with its
working directory ``/box``. Command lines are absolute paths of the judge image's Debian packages.

Time limits: a language's effective CPU limit is ``time_limit × time_multiplier`` seconds.
Memory: native programs get ``RLIMIT_STACK = memory limit`` (so deep recursion is bounded only by
the memory limit) and are held to the memory limit by their measured peak resident memory and the
container's memory cgroup; Java gets ``-Xmx``/``-Xss`` instead (the JVM reserves far more address
space than it uses, so no address-space limit is applied to any language).

To add a language, build a :class:`Language` and call :func:`register`.
"""
from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

PROG_DIR = "/prog"  # where sources are compiled and binaries live (in the container)


@dataclass(frozen=True)
class Language:
    key: str  # registry key, e.g. "cpp"
    name: str  # display name, e.g. "C++17 (g++ 12)"
    extensions: tuple[str, ...]  # file extensions (with dot) that select this language
    source_name: Callable[[str], str]  # source text -> file name inside /prog
    compile: Callable[[str], list[str]] | None  # source file name -> compiler argv (None: no step)
    run: Callable[[str, int], list[str]]  # (source file name, memory limit MiB) -> program argv
    time_multiplier: float = 1.0
    nofile: int = 64  # RLIMIT_NOFILE of the program
    # A language whose runtime reserves memory on top of the program's own (the JVM) is held to the
    # limit by its own flags (-Xmx) and the cgroup, not by the measured resident memory.
    rss_limited: bool = True
    stack_limited: bool = True  # RLIMIT_STACK = memory limit
    mle_markers: tuple[str, ...] = ()  # stderr texts that mean "out of memory" (e.g. Java's OOM)
    description: str = ""
    # bytes of a submitted file -> the source stored and judged (None: the file's text). Raises
    # ValueError (with a code, see judge.scratch.ScratchError) when the file cannot be a submission.
    read_source: Callable[[bytes], str] | None = None
    max_source_bytes: int = 0  # largest stored source the web accepts (0: the web's default)
    # MiB added to the memory limit for the container's memory figure: the runtime's own overhead
    # (Java: the JVM's metaspace, code cache, GC tables, thread stacks), documented, not a free pass
    memory_allowance_mib: int = 0
    # source text -> None, or why it cannot be compiled here (a CE before any container starts)
    source_error: Callable[[str], str | None] | None = None


LANGUAGES: dict[str, Language] = {}


def register(lang: Language) -> Language:
    LANGUAGES[lang.key] = lang
    return lang


def _fixed(name: str) -> Callable[[str], str]:
    return lambda source: name


def _gcc(driver: str, std: str, extra: tuple[str, ...] = ()) -> Callable[[str], list[str]]:
    return lambda src: [driver, f"-std={std}", "-O2", "-pipe", "-o", "main", src, *extra]


def _native(src: str, mem: int) -> list[str]:
    return [f"{PROG_DIR}/main"]


_JAVA_CLASS = re.compile(r"^\s*public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", re.M)


def java_class_name(source: str) -> str:
    """The public class of a Java source (the file must be named after it), else ``Main``."""
    m = _JAVA_CLASS.search(source)
    return m.group(1) if m else "Main"


FILE_NAME_MAX = 255  # bytes of a file name (NAME_MAX of Linux)
JAVA_MEMORY_ALLOWANCE_MIB = 64  # the JVM beyond -Xmx (a trivial program: ~16 MiB of the cgroup)
SCRATCH_MEMORY_ALLOWANCE_MIB = 96  # Node.js + scratch-vm resident before the project runs: ~65 MiB


def java_source_error(source: str) -> str | None:
    """Why a Java source cannot be compiled here, else None: its public class names the files
    ``<name>.java`` and ``<name>.class``, and a file name holds at most 255 bytes."""
    name = java_class_name(source)
    size = len((name + ".class").encode("utf-8", "surrogatepass"))
    if size > FILE_NAME_MAX:
        return (f"The public class name is {len(name)} characters long: the file "
                f"<class name>.class would be {size} bytes, over the limit of {FILE_NAME_MAX}. "
                f"Use a shorter class name (e.g. Main).")
    return None


def _java_run(src: str, mem: int) -> list[str]:
    stack = max(16, min(mem, 256))
    return [
        "/usr/bin/java", f"-Xmx{mem}m", f"-Xss{stack}m", "-XX:+UseSerialGC", "-XX:-UsePerfData",
        "-XX:+ExitOnOutOfMemoryError", "-Xshare:auto", "-cp", PROG_DIR, Path(src).stem,
    ]


register(Language(
    "c", "C17 (gcc)", (".c",), _fixed("main.c"), _gcc("/usr/bin/gcc", "c17", ("-lm",)), _native,
    description="gcc -std=c17 -O2",
))
register(Language(
    "cpp", "C++17 (g++)", (".cpp", ".cc", ".cxx", ".c++"), _fixed("main.cpp"),
    _gcc("/usr/bin/g++", "c++17"), _native, description="g++ -std=c++17 -O2",
))
register(Language(
    "cpp20", "C++20 (g++)", (), _fixed("main.cpp"), _gcc("/usr/bin/g++", "c++20"), _native,
    description="g++ -std=c++20 -O2",
))
register(Language(
    "python3", "Python 3", (".py",), _fixed("main.py"),
    # "compiling" is a syntax check, so that a syntax error is a CE and not a runtime error
    lambda src: ["/usr/bin/python3", "-c",
                 "import sys; compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')", src],
    lambda src, mem: ["/usr/bin/python3", "-B", posixpath.join(PROG_DIR, src)],  # src may be absolute
    time_multiplier=2.0, mle_markers=("MemoryError",),
    description="CPython 3.11; time limit × 2",
))
register(Language(
    "pascal", "Free Pascal", (".pas", ".pp"), _fixed("main.pas"),
    lambda src: ["/usr/bin/fpc", "-O2", "-XS", "-vew", "-omain", src], _native,
    description="fpc -O2",
))
register(Language(
    "java", "Java (OpenJDK)", (".java",), lambda source: java_class_name(source) + ".java",
    lambda src: ["/usr/bin/javac", "-J-Xmx512m", "-J-XX:-UsePerfData", "-encoding", "UTF-8", src],
    _java_run, time_multiplier=1.5, nofile=1024, rss_limited=False, stack_limited=False,
    mle_markers=("java.lang.OutOfMemoryError",),
    description="OpenJDK 17; -Xmx = memory limit (+64 MiB for the JVM); time limit × 1.5",
    memory_allowance_mib=JAVA_MEMORY_ALLOWANCE_MIB, source_error=java_source_error,
))


def time_factor(key: str, default: float) -> float:
    """A language's time multiplier: ``$JUDGE_TIME_FACTOR_<KEY>`` (e.g. ``JUDGE_TIME_FACTOR_SCRATCH=3``)
    if set to a positive number, else ``default``."""
    import os

    try:
        value = float(os.environ.get(f"JUDGE_TIME_FACTOR_{key.upper()}", ""))
    except ValueError:
        return default
    return value if value > 0 else default


# Scratch 3 (docs/scratch.md): the submission is the project.json of a .sb3 (judge/scratch.py);
# sandbox/scratch/run.js runs it with scratch-vm on Debian's Node.js, starting every test from a V8
# startup snapshot that already holds the loaded VM. "Compiling" loads the project once through the
# VM's own validation (a project the VM cannot load, or a foreign extension, is a CE).
SCRATCH_DIR = "/opt/scratch"
SCRATCH_NODE = ["/usr/bin/node", "--snapshot-blob", f"{SCRATCH_DIR}/vm.blob"]


def _scratch_source(data: bytes) -> str:
    from judge.scratch import source_from_file

    return source_from_file(data)


register(Language(
    "scratch", "Scratch 3", (".sb3",), _fixed("project.json"),
    lambda src: [*SCRATCH_NODE, src, "check"],
    # no V8 heap flag: a snapshot only loads under the V8 flags it was built with; the memory
    # limit is held by the runner (resident memory) and the container's cgroup
    lambda src, mem: [*SCRATCH_NODE, f"{PROG_DIR}/{src}"],
    time_multiplier=time_factor("scratch", 2.0), nofile=64, stack_limited=False,
    # Node with the VM resident holds ~65 MiB before the project runs: an allowance like the JVM's
    rss_limited=False, memory_allowance_mib=SCRATCH_MEMORY_ALLOWANCE_MIB,
    mle_markers=("JavaScript heap out of memory", "Reached heap limit"),
    description="scratch-vm 5.0.300 on Node.js 18; .sb3 upload; time limit × 2; memory limit + 96 MiB for Node",
    read_source=_scratch_source, max_source_bytes=4 << 20,
))


def source_of_file(lang: Language, data: bytes) -> str:
    """The source to judge from the bytes of a submitted file: the language's own reader
    (a Scratch .sb3 gives its project.json), else the text (UTF-8, bad bytes replaced)."""
    if lang.read_source is not None:
        return lang.read_source(data)
    return data.decode("utf-8", "replace")


def language_for_file(filename: str | Path) -> Language:
    """The language selected by a file's extension; KeyError with a readable message if none."""
    ext = Path(filename).suffix.lower()
    for lang in LANGUAGES.values():
        if ext in lang.extensions:
            return lang
    known = ", ".join(e for lang in LANGUAGES.values() for e in lang.extensions)
    raise KeyError(f"no language for the extension {ext or '(none)'!r} (known: {known})")


_PYTHON2_SHEBANG = re.compile(rb"\A#![^\n]*\bpython2(\.\d+)?\b")


def language_for_source(filename: str | Path, source: bytes) -> Language:
    """The language of a submission file: by its extension (:func:`language_for_file`), except
    that a ``.py`` file whose shebang names Python 2 (``#!/usr/bin/python2``, ``#! /usr/bin/env
    python2.7``) is a language we do not have: KeyError with a readable message."""
    lang = language_for_file(filename)
    if lang.key == "python3" and _PYTHON2_SHEBANG.match(source.lstrip(b"\xef\xbb\xbf")):
        raise KeyError(f"{Path(filename).name}: Python 2 (by its shebang line) is not supported")
    return lang


def get_language(key: str) -> Language:
    try:
        return LANGUAGES[key]
    except KeyError:
        raise KeyError(f"unknown language {key!r} (known: {', '.join(LANGUAGES)})") from None
