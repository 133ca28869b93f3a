"""Writes the test data of CONGDON (Kattis layout), its example Scratch solutions (built from
Python with tests/judge/sb3.py) and the picture of the accepted solution's blocks.
Run from the repository root: python problems/congdon/generator.py"""
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from tests.judge.sb3 import (Project, answer, ask, change_var, forever, repeat, say,  # noqa: E402
                             set_var, when_flag)


def write(path: Path, numbers: list[int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    total, lines = 0, []
    for x in numbers:
        total += x
        lines.append(str(total))
    path.with_suffix(".in").write_text("\n".join([str(len(numbers))] + [str(x) for x in numbers]) + "\n")
    path.with_suffix(".ans").write_text("\n".join(lines) + "\n")


def data() -> None:
    rng = random.Random(2026)
    write(HERE / "data/sample/1", [5, -2, 10])
    write(HERE / "data/secret/01", [7])
    write(HERE / "data/secret/02", [rng.randint(-100, 100) for _ in range(10)])
    write(HERE / "data/secret/03", [rng.randint(-10**6, 10**6) for _ in range(200)])
    write(HERE / "data/secret/04", [rng.randint(0, 10**9) for _ in range(1000)])


def accepted() -> Project:
    """Read n; repeat n times: read a number, add it to the total, say the total."""
    p = Project()
    n, tong = p.variable("n"), p.variable("tổng")
    p.sprite.script(when_flag(), ask("Có bao nhiêu số?"), set_var(n, answer()), set_var(tong, 0),
                    repeat(n, ask("Số tiếp theo?"), change_var(tong, answer()), say(tong)))
    return p


def wrong_answer() -> Project:
    """Says only the last total."""
    p = Project()
    n, tong = p.variable("n"), p.variable("tổng")
    p.sprite.script(when_flag(), ask(), set_var(n, answer()), set_var(tong, 0),
                    repeat(n, ask(), change_var(tong, answer())), say(tong))
    return p


def time_limit_exceeded() -> Project:
    """Right totals, then a `forever` loop (as in a game's main loop): the project never ends."""
    p = Project()
    n, tong, dem = p.variable("n"), p.variable("tổng"), p.variable("đếm")
    p.sprite.script(when_flag(), ask(), set_var(n, answer()), set_var(tong, 0),
                    repeat(n, ask(), change_var(tong, answer()), say(tong)),
                    forever(change_var(dem, 1)))
    return p


def picture(path: Path) -> None:
    """A drawing of the accepted solution's blocks (Scratch's colours), for the statement."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 17)
    rows = [  # (indent, colour, text)
        (0, "#FFBF00", "khi bấm vào lá cờ xanh"),
        (0, "#5CB1D6", "hỏi (Có bao nhiêu số?) và đợi"),
        (0, "#FF8C1A", "đặt [n] thành (trả lời)"),
        (0, "#FF8C1A", "đặt [tổng] thành (0)"),
        (0, "#FFAB19", "lặp lại (n) lần"),
        (1, "#5CB1D6", "hỏi (Số tiếp theo?) và đợi"),
        (1, "#FF8C1A", "thay đổi [tổng] một lượng (trả lời)"),
        (1, "#9966FF", "nói (tổng)"),
        (0, "#FFAB19", "kết thúc lặp"),
    ]
    h, pad, step = 34, 16, 40
    img = Image.new("RGB", (520, pad * 2 + step * len(rows)), "white")
    d = ImageDraw.Draw(img)
    for k, (indent, colour, text) in enumerate(rows):
        x, y = pad + indent * 28, pad + k * step
        w = int(d.textlength(text, font=font)) + 28
        d.rounded_rectangle([x, y, x + w, y + h], radius=8, fill=colour)
        d.text((x + 14, y + 7), text, fill="white", font=font)
    img.save(path, optimize=True)


if __name__ == "__main__":
    data()
    out = HERE / "submissions"
    for folder, name, build in (("accepted", "congdon.sb3", accepted),
                                ("wrong_answer", "chi_tong_cuoi.sb3", wrong_answer),
                                ("time_limit_exceeded", "lap_lien_tuc.sb3", time_limit_exceeded)):
        (out / folder).mkdir(parents=True, exist_ok=True)
        (out / folder / name).write_bytes(build().sb3())
    picture(HERE / "problem_statement" / "khoi_lenh.png")
