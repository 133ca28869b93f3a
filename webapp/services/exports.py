"""Prize and qualifier lists as XLSX and CSV files for the upstream organiser.

The files are made only from frozen results (services.results.division_rows of a locked or published
division); for a division still in draft, `NotFinal` is raised so that no empty or provisional file can
pass for the final list.

One line per person: a team entry (creative) gives one line per member, each with the entry's score
and award. Columns (Vietnamese, the language of the receiving organiser, whatever the UI language):
  STT, Họ và tên, Ngày sinh (dd/mm/yyyy), Trường, Lớp, Đơn vị, Bảng, Điểm, Giải
  + Tên sản phẩm when a line belongs to a creative entry.
Order: prizes by rank within the division (as the tally left them); qualifiers by division code, then
rank. CSV: UTF-8 with a BOM (so that Excel shows the diacritics), comma-separated, decimal point.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sqlalchemy import select

from ..extensions import db
from ..models import Contest, Division, DivisionResult
from .results import division_rows

AWARD_LABELS = {"first": "Nhất", "second": "Nhì", "third": "Ba", "consolation": "Khuyến khích"}
HEADER = ["STT", "Họ và tên", "Ngày sinh", "Trường", "Lớp", "Đơn vị", "Bảng", "Điểm", "Giải"]
TITLE_HEADER = "Tên sản phẩm"
FINAL_STATES = ("locked", "published")


class NotFinal(Exception):
    """Some divisions' results are not locked yet. `codes`: their division codes."""

    def __init__(self, codes: list[str]):
        super().__init__(", ".join(codes))
        self.codes = codes


def division_state(division_id: int) -> str:
    """draft | locked | published ("draft" when the division has no DivisionResult yet)."""
    result = db.session.scalar(select(DivisionResult).where(DivisionResult.division_id == division_id))
    return result.state if result is not None else "draft"


def _final_rows(division: Division) -> list[dict]:
    if division_state(division.id) not in FINAL_STATES:
        raise NotFinal([division.code])
    return division_rows(division.id)


def prize_rows(division: Division) -> list[dict]:
    """The rows with an award, best first. Raises NotFinal for a division in draft."""
    return [r for r in _final_rows(division) if r.get("award")]


def contest_qualifier_rows(contest_id: int) -> list[dict]:
    """Rows with qualified == True across the contest's divisions, by division code then rank.

    Raises NotFinal naming every division not yet locked: a qualifier list is final only when all are.
    """
    contest = db.session.get(Contest, contest_id)
    divisions = sorted(contest.divisions, key=lambda d: d.code) if contest else []
    waiting = [d.code for d in divisions if division_state(d.id) not in FINAL_STATES]
    if waiting:
        raise NotFinal(waiting)
    out: list[dict] = []
    for d in divisions:
        out.extend(r for r in division_rows(d.id) if r.get("qualified") is True)
    return out


def dmy(iso: str | None) -> str:
    """'2012-03-09' -> '09/03/2012'; '' for none."""
    if not iso:
        return ""
    return date.fromisoformat(str(iso)[:10]).strftime("%d/%m/%Y")


def _number(score) -> int | float | None:
    if score is None:
        return None
    score = float(score)
    return int(score) if score.is_integer() else round(score, 4)


@dataclass
class Line:
    full_name: str
    date_of_birth: str
    school: str
    grade: int | None
    unit: str
    division: str
    score: int | float | None
    award: str
    title: str


def lines(rows: list[dict]) -> list[Line]:
    """One line per person: members of a team each get a line with the team's score and award."""
    out: list[Line] = []
    for r in rows:
        people = r.get("members") or [r]
        for p in people:
            out.append(Line(
                full_name=p.get("full_name", ""), date_of_birth=dmy(p.get("date_of_birth")),
                school=p.get("school", ""), grade=p.get("grade"),
                unit=p.get("unit", ""), division=r.get("division", ""), score=_number(r.get("score")),
                award=AWARD_LABELS.get(r.get("award") or "", ""), title=r.get("title") or "",
            ))
    return out


def table(rows: list[dict]) -> list[list]:
    """Header + one list of cell values per line (STT numbered from 1); None = empty cell."""
    ls = lines(rows)
    with_title = any(x.title for x in ls)
    head = HEADER + ([TITLE_HEADER] if with_title else [])
    body = []
    for i, x in enumerate(ls, start=1):
        cells = [i, x.full_name, x.date_of_birth, x.school, x.grade, x.unit, x.division, x.score, x.award]
        body.append(cells + ([x.title] if with_title else []))
    return [head] + body


WIDTHS = [6, 28, 12, 32, 6, 22, 7, 8, 13, 36]


def to_xlsx(rows: list[dict], sheet_title: str) -> bytes:
    """An XLSX workbook with one sheet: bold frozen header, text dates, numeric scores."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_title[:31]
    for r in table(rows):
        ws.append(r)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for i, width in enumerate(WIDTHS[: ws.max_column], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(rows: list[dict], sheet_title: str = "") -> bytes:
    """UTF-8 with BOM, comma-separated, CRLF line ends (what Excel expects)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for r in table(rows):
        writer.writerow(r)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class Format:
    render: Callable[[list[dict], str], bytes]
    mimetype: str


FORMATS: dict[str, Format] = {
    "xlsx": Format(to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": Format(to_csv, "text/csv; charset=utf-8"),
}
