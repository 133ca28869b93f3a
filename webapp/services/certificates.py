"""Certificates (giấy chứng nhận) for prize winners, as PDF (fpdf2, A4 landscape).

One certificate per prize winner; a team entry (creative) gives one per member, naming the entry's
title. A division's certificates come as one PDF with one page per certificate, in rank order (as the
tally left them), for printing; a single winner's certificate is the same page alone.

Text is Vietnamese (an official paper), normalised to Unicode NFC so that every letter is one
precomposed glyph. The font is embedded (subset) from Debian's fonts-dejavu-core: DejaVuSerif and
DejaVuSerif-Bold in FONT_DIR (env CERT_FONT_DIR overrides); a missing font raises FontMissing naming
the file and the package to install.

The date printed is the day the division's results were published (else locked), in the contest's
time zone; the certificate number is "<year>/<division code>/<nnn>", nnn = position in the division.
"""
from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import Contest, Division, DivisionResult
from .exports import AWARD_LABELS, prize_rows

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf"}
FONT_PACKAGE = "fonts-dejavu-core"
FAMILY = "CertSerif"

INK = (30, 45, 90)  # dark blue
ACCENT = (170, 30, 35)  # red
GOLD = (185, 145, 60)


class FontMissing(Exception):
    def __init__(self, path: str):
        super().__init__(str(_l("Thiếu phông chữ %(p)s để in giấy chứng nhận. Hãy cài gói Debian %(pkg)s (scripts/ensure_apt.sh %(pkg)s) hoặc đặt biến CERT_FONT_DIR.",
                                p=path, pkg=FONT_PACKAGE)))
        self.path = path


@dataclass
class Certificate:
    number: str
    full_name: str
    school: str
    grade: int | None
    unit: str
    username: str
    award: str  # first | second | third | consolation
    title: str  # creative entry title, "" for programming
    division_code: str
    division_name: str
    contest_name: str
    issued_on: date


def _nfc(text) -> str:
    return unicodedata.normalize("NFC", str(text or "")).strip()


def issue_date(division_id: int, tz: str) -> date:
    """The day the results were published (else locked) in time zone tz; today if neither."""
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division_id))
    moment = result and (result.published_at or result.locked_at)
    zone = ZoneInfo(tz)
    if moment is None:
        return datetime.now(zone).date()
    return moment.replace(tzinfo=timezone.utc).astimezone(zone).date()


def division_certificates(division: Division, issued_on: date) -> list[Certificate]:
    """A certificate per prize winner of a locked/published division (team: one per member).
    Raises exports.NotFinal for a division in draft."""
    contest: Contest = division.contest
    out: list[Certificate] = []
    for row in prize_rows(division):
        for person in row.get("members") or [row]:
            out.append(Certificate(
                number=f"{contest.year}/{division.code}/{len(out) + 1:03d}",
                full_name=_nfc(person.get("full_name")), school=_nfc(person.get("school")),
                grade=person.get("grade"), unit=_nfc(person.get("unit")), username=person.get("username", ""),
                award=row["award"], title=_nfc(row.get("title")), division_code=division.code,
                division_name=_nfc(division.name), contest_name=_nfc(contest.name), issued_on=issued_on,
            ))
    return out


def font_paths(font_dir: str | None = None) -> dict[str, Path]:
    base = Path(font_dir or os.environ.get("CERT_FONT_DIR") or FONT_DIR)
    paths = {style: base / name for style, name in FONT_FILES.items()}
    for path in paths.values():
        if not path.is_file():
            raise FontMissing(str(path))
    return paths


def _fit(pdf, text: str, style: str, size: float, width: float) -> None:
    """Set the font at `size`, shrunk (down to 40%) until text fits in width."""
    floor = size * 0.4
    pdf.set_font(FAMILY, style, size)
    while pdf.get_string_width(text) > width and size > floor:
        size -= 0.5
        pdf.set_font(FAMILY, style, size)


def _line(pdf, y: float, text: str, style: str = "", size: float = 15, color=INK, width: float = 237) -> None:
    pdf.set_text_color(*color)
    _fit(pdf, text, style, size, width)
    pdf.set_xy((pdf.w - width) / 2, y)
    pdf.cell(width, size * 0.5, text, align="C")


def _division_label(c: Certificate) -> str:
    if c.division_code.casefold() in c.division_name.casefold():
        return c.division_name
    return f"Bảng {c.division_code} – {c.division_name}"


def _page(pdf, c: Certificate) -> None:
    pdf.add_page()
    w, h = pdf.w, pdf.h
    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(1.6)
    pdf.rect(9, 9, w - 18, h - 18)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.4)
    pdf.rect(13, 13, w - 26, h - 26)

    _line(pdf, 22, "BAN TỔ CHỨC", "B", 13)
    _line(pdf, 30, c.contest_name.upper(), "B", 16)
    _line(pdf, 44, "GIẤY CHỨNG NHẬN", "B", 40, ACCENT)
    _line(pdf, 68, "Chứng nhận em", "", 15)
    _line(pdf, 78, c.full_name, "B", 30)
    who = []
    if c.grade:
        who.append(f"Học sinh lớp {c.grade}")
    if c.school:
        who.append(c.school)
    if c.unit:
        who.append(c.unit)
    _line(pdf, 95, " – ".join(who), "", 15)
    y = 105
    if c.title:
        _line(pdf, y, f"Sản phẩm: “{c.title}”", "", 15)
        y += 10
    _line(pdf, y, f"Đã đạt giải {AWARD_LABELS[c.award].upper()}", "B", 24, ACCENT)
    _line(pdf, y + 14, _division_label(c), "", 15)

    d = c.issued_on
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, "", 13)
    pdf.set_xy(w - 128, h - 64)
    pdf.cell(100, 7, f"Ngày {d.day:02d} tháng {d.month:02d} năm {d.year}", align="C")
    pdf.set_font(FAMILY, "B", 13)
    pdf.set_xy(w - 128, h - 56)
    pdf.cell(100, 7, "TRƯỞNG BAN TỔ CHỨC", align="C")
    pdf.set_font(FAMILY, "", 10)
    pdf.set_xy(24, h - 26)
    pdf.cell(80, 6, f"Số: {c.number}")


def render(certificates: list[Certificate], font_dir: str | None = None) -> bytes:
    """One PDF, one A4 landscape page per certificate, fonts embedded. Raises FontMissing."""
    from fpdf import FPDF

    paths = font_paths(font_dir)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    for style, path in paths.items():
        pdf.add_font(FAMILY, style, str(path))
    if certificates:
        pdf.set_title(f"Giấy chứng nhận – {certificates[0].contest_name} – {_division_label(certificates[0])}")
    pdf.set_creator("Tin học trẻ")
    for c in certificates:
        _page(pdf, c)
    return bytes(pdf.output())
