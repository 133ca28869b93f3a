"""Problem statements as safe HTML, and what the preview page shows of a package.

Statements come from organisers, but a package may come from anywhere: the HTML made by Markdown
(or an HTML statement) is passed through an allow-list sanitiser. Only known tags and attributes
survive; <script>, <style>, <iframe>… are dropped with their content; event handlers and
`javascript:` URLs never survive; relative links and images point to the problem's file route.
"""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}
VOID_TAGS = {"br", "hr", "img"}
DROP_WITH_CONTENT = {"script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "math",
                     "textarea", "select", "title", "head"}
ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "style"},
    "code": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "div": {"class"},
    "ol": {"start"},
}
_SAFE_STYLE = re.compile(r"^\s*text-align:\s*(left|right|center)\s*;?\s*$")
_SAFE_CLASS = re.compile(r"^[\w\- ]{0,100}$")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _safe_url(url: str, base: str | None, image: bool) -> str | None:
    url = url.strip()
    compact = re.sub(r"[\s\x00-\x1f]", "", url)
    m = _SCHEME.match(compact)
    if m:
        scheme = m.group(1).lower()
        if image:
            return url if scheme in ("http", "https") else None
        return url if scheme in ("http", "https", "mailto") else None
    if compact.startswith("//"):
        return None
    if url.startswith("#") or url.startswith("/"):
        return url
    if base is not None and ".." not in url.split("/"):
        return base.rstrip("/") + "/" + url
    return None


class _Sanitiser(HTMLParser):
    def __init__(self, base: str | None):
        super().__init__(convert_charrefs=True)
        self.base = base
        self.out: list[str] = []
        self.open: list[str] = []
        self.drop = 0

    def handle_starttag(self, tag, attrs):
        tag = tag.lower()
        if tag in DROP_WITH_CONTENT:
            if tag not in VOID_TAGS:
                self.drop += 1
            return
        if self.drop or tag not in ALLOWED_TAGS:
            return
        parts = [tag]
        allowed = ALLOWED_ATTRS.get(tag, set())
        for name, value in attrs:
            name = name.lower()
            if name not in allowed or value is None:
                continue
            if name in ("href", "src"):
                value = _safe_url(value, self.base, image=name == "src")
                if value is None:
                    continue
            elif name == "style" and not _SAFE_STYLE.match(value):
                continue
            elif name == "class" and not _SAFE_CLASS.match(value):
                continue
            elif name in ("colspan", "rowspan", "start", "width", "height") and not value.strip().isdigit():
                continue
            parts.append(f'{name}="{html.escape(value, quote=True)}"')
        if tag == "a":
            parts.append('rel="noopener nofollow"')
        self.out.append("<" + " ".join(parts) + ">")
        if tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag.lower() not in VOID_TAGS and self.open and self.open[-1] == tag.lower():
            self.open.pop()
            self.out.append(f"</{tag.lower()}>")

    def handle_endtag(self, tag):
        tag = tag.lower()
        if tag in DROP_WITH_CONTENT:
            self.drop = max(0, self.drop - 1)
            return
        if self.drop or tag not in ALLOWED_TAGS or tag in VOID_TAGS or tag not in self.open:
            return
        while self.open:
            t = self.open.pop()
            self.out.append(f"</{t}>")
            if t == tag:
                break

    def handle_data(self, data):
        if not self.drop:
            self.out.append(html.escape(data, quote=False))

    def close(self):
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitise_html(text: str, base: str | None = None) -> str:
    """Keep only allow-listed tags/attributes; `base` prefixes relative URLs (None drops them)."""
    s = _Sanitiser(base)
    s.feed(text)
    s.close()
    return "".join(s.out)


def render_markdown(text: str, base: str | None = None) -> str:
    """Markdown (tables, fenced code) -> sanitised HTML. Used for statements, announcements, answers."""
    import markdown

    return sanitise_html(markdown.markdown(text or "", extensions=["tables", "fenced_code"]), base)


def pick_statement(statements: dict, locale: str):
    """The statement in the reader's language, else Vietnamese, else English, else any."""
    for lang in (locale, "vi", "en"):
        if lang in statements:
            return statements[lang]
    return next(iter(statements.values()), None)


def statement_html(statement, base: str | None = None) -> str:
    """Safe HTML of a judge.problem.Statement (PDF statements give "")."""
    if statement is None or statement.format == "pdf":
        return ""
    if statement.format == "md":
        return render_markdown(statement.text, base)
    if statement.format == "html":
        return sanitise_html(statement.text, base)
    return f'<pre class="statement-{html.escape(statement.format)}">{html.escape(statement.text)}</pre>'


SAMPLE_CAP = 4096


def read_sample(path: Path) -> str:
    data = Path(path).read_bytes()[: SAMPLE_CAP + 1]
    text = data[:SAMPLE_CAP].decode("utf-8", "replace")
    return text + ("\n…" if len(data) > SAMPLE_CAP else "")


def package_summary(loaded) -> dict:
    """Quick checks of a loaded package that need no judging: counts, samples, statements, and
    warning codes (no_statement, no_vi_statement, no_solutions) that the template words."""
    tests = loaded.tests()
    warnings = []
    if not loaded.statements:
        warnings.append("no_statement")
    elif "vi" not in loaded.statements:
        warnings.append("no_vi_statement")
    if loaded.submissions_dir is None:
        warnings.append("no_solutions")
    return {
        "format": loaded.format,
        "tests": len(tests),
        "samples": sum(1 for t in tests if t.is_sample),
        "groups": [g.name for g in loaded.root.groups],
        "statements": sorted(loaded.statements),
        "checker": loaded.checker.kind,
        "input_file": loaded.input_file,
        "output_file": loaded.output_file,
        "warnings": warnings,
    }
