"""Helpers shared by the package loaders: YAML reading, statements, natural sort, submissions."""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import yaml

from judge.problem import ProblemError, Statement

STATEMENT_EXTS = ("md", "tex", "html", "txt", "pdf")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")


def read_yaml(path: Path, root: Path | None = None) -> dict[str, Any]:
    """Parse a YAML mapping; any problem raises ProblemError naming the file (relative to root)."""
    shown = rel(path, root)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProblemError(f"{shown}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise ProblemError(f"{shown}: cannot be read ({exc.strerror})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ProblemError(f"{shown}: malformed YAML{where}: {getattr(exc, 'problem', exc)}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProblemError(f"{shown}: expected a mapping of keys to values, got {type(data).__name__}")
    return data


def rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def check_keys(data: dict, allowed: set[str], path: Path, root: Path | None, where: str = "") -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ProblemError(
            f"{rel(path, root)}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}"
            f"{' in ' + where if where else ''} (allowed: {', '.join(sorted(allowed))})"
        )


def as_number(value: Any, what: str, path: Path, root: Path | None, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(str(value).strip().rstrip("sS"))
        except ValueError:
            raise ProblemError(f"{rel(path, root)}: {what} must be a number, got {value!r}") from None
    value = float(value)
    if positive and not value > 0:
        raise ProblemError(f"{rel(path, root)}: {what} must be positive, got {value}")
    return value


def natural_key(name: str) -> list:
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


def load_statements(folder: Path, root: Path, prefix: str = "problem") -> dict[str, Statement]:
    """Statements named ``<prefix>.<lang>.<ext>`` (or ``<prefix>.<ext>`` = English) in ``folder``."""
    out: dict[str, Statement] = {}
    if not folder.is_dir():
        return out
    for f in sorted(folder.iterdir()):
        if not f.is_file():
            continue
        parts = f.name.split(".")
        if parts[0] != prefix or len(parts) not in (2, 3):
            continue
        ext = parts[-1].lower()
        lang = parts[1] if len(parts) == 3 else "en"
        if ext not in STATEMENT_EXTS or not _LANG_RE.match(lang):
            continue
        if lang in out and out[lang].format != "pdf" and ext == "pdf":
            continue  # prefer a text statement over a PDF
        if ext == "pdf":
            text = ""
        else:
            try:
                text = f.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise ProblemError(f"{rel(f, root)}: not UTF-8 text ({exc})") from exc
        out[lang] = Statement(language=lang, format=ext, text=text, path=f)
    return out


def title_from_statement(st: Statement) -> str | None:
    if st.format == "tex":
        m = re.search(r"\\problemname\{((?:[^{}]|\{[^{}]*\})*)\}", st.text)
        if m:
            return m.group(1).strip() or None
    if st.format == "md":
        for line in st.text.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return None


def render_statement(st: Statement) -> str:
    """HTML for a statement: Markdown rendered, LaTeX and plain text shown as preformatted text."""
    if st.format == "md":
        import markdown

        return markdown.markdown(st.text, extensions=["tables", "fenced_code"])
    if st.format == "html":
        return st.text
    if st.format == "pdf":
        return ""
    return f"<pre class=\"statement-{st.format}\">{html.escape(st.text)}</pre>"


# Expected-result folders of submissions/ (problemtools names).
SUBMISSION_CATEGORIES = (
    "accepted",
    "partially_accepted",
    "wrong_answer",
    "time_limit_exceeded",
    "run_time_error",
    "memory_limit_exceeded",
    "output_limit_exceeded",
    "rejected",
)
