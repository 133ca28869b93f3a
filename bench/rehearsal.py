"""A city round rehearsed end to end against a running site, as its users would use it.

Drives the real HTTP site (requests for forms and the API, Playwright + Chromium for the browser
steps) and the CLI. Start an isolated site first (see docs/rehearsal.md), then:

    python bench/rehearsal.py --base http://127.0.0.1:5077 --env /tmp/reh_env.sh --out /tmp/reh

Steps (each timed; the timings and the checks are printed and written to OUT/report.json):
  setup     organiser creates a contest with the default divisions, imports ~200 students
  entries   ~60 creative entries over D1-D3 through the student API (team 1-2, mentor, PDF + zip/sb3)
  judging   10 judges with schools/units, conflicts, panel, k=3 assignment + shortfall, scores via API
  programming  problems imported (CLI), students admitted, submissions judged by the worker,
            external scores imported for C1
  results   prize rules, preview, adjustment, lock, publish, exports, certificates, qualifiers, appeal
  browser   blind judge page, student before publishing, Vietnamese/English pages, screenshots
A failed check raises at once with what was expected; state is kept in OUT/state.json so that a
later step can be rerun alone (--steps results,browser).
"""
from __future__ import annotations

import argparse
import base64
import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
PY = os.environ.get("REH_PYTHON", str(Path(sys.executable)))
RNG = random.Random(2026)
TIMINGS: dict[str, float] = {}
CHECKS: list[str] = []

SCHOOLS = {  # school -> (level, district)
    "Trường Tiểu học Kim Đồng": ("primary", "Quận Ba Đình"),
    "Trường Tiểu học Nguyễn Du": ("primary", "Quận Hoàn Kiếm"),
    "Trường Tiểu học Lê Ngọc Hân": ("primary", "Quận Hai Bà Trưng"),
    "Trường Tiểu học Đoàn Thị Điểm": ("primary", "Quận Cầu Giấy"),
    "Trường THCS Trưng Vương": ("lower_secondary", "Quận Hoàn Kiếm"),
    "Trường THCS Giảng Võ": ("lower_secondary", "Quận Ba Đình"),
    "Trường THCS Cầu Giấy": ("lower_secondary", "Quận Cầu Giấy"),
    "Trường THCS Ngô Sĩ Liên": ("lower_secondary", "Quận Hai Bà Trưng"),
    "Trường THPT chuyên Hà Nội – Amsterdam": ("upper_secondary", "Quận Cầu Giấy"),
    "Trường THPT Chu Văn An": ("upper_secondary", "Quận Tây Hồ"),
    "Trường THPT Việt Đức": ("upper_secondary", "Quận Hoàn Kiếm"),
    "Trường THPT Kim Liên": ("upper_secondary", "Quận Đống Đa"),
}
LEVEL_VI = {"primary": "Tiểu học", "lower_secondary": "THCS", "upper_secondary": "THPT"}
GRADES = {"primary": (3, 5), "lower_secondary": (6, 9), "upper_secondary": (10, 12)}
COUNTS = {"primary": 70, "lower_secondary": 70, "upper_secondary": 60}
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Quốc", "Thu", "Gia", "Đức", "Ngọc", "Hải", "Bảo"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hiếu", "Khánh", "Linh", "Long", "My", "Nam", "Ngân",
         "Phúc", "Quân", "Sơn", "Thảo", "Trang", "Tú", "Vy", "Yến", "Đạt", "Ánh", "Ý"]
JUDGES = [  # username, full name, school (or None), unit
    ("gk_hoa", "Lê Thị Hoa", "Trường THPT Chu Văn An", "Quận Tây Hồ"),
    ("gk_tuan", "Nguyễn Anh Tuấn", None, "Đại học Bách khoa Hà Nội"),
    ("gk_lan", "Trần Thị Lan", "Trường THCS Giảng Võ", "Quận Ba Đình"),
    ("gk_minh", "Phạm Quang Minh", None, "Viện Công nghệ thông tin"),
    ("gk_thu", "Đỗ Minh Thu", "Trường Tiểu học Kim Đồng", "Quận Ba Đình"),
    ("gk_son", "Vũ Hồng Sơn", None, "Sở Giáo dục và Đào tạo"),
    ("gk_ha", "Bùi Thu Hà", "Trường THPT Việt Đức", "Quận Hoàn Kiếm"),
    ("gk_khoa", "Hoàng Đăng Khoa", None, "Đại học Quốc gia Hà Nội"),
    ("gk_nga", "Ngô Thuý Nga", "Trường THCS Cầu Giấy", "Quận Cầu Giấy"),
    ("gk_binh", "Dương Văn Bình", None, "Thành đoàn Hà Nội"),
]
JUDGE_PASSWORD = "gk-rehearsal-1"
CRITERIA = ["Ý tưởng và tính sáng tạo", "Tính thực tiễn", "Chất lượng kỹ thuật", "Trình bày"]


class Failed(AssertionError):
    pass


def check(cond, what: str):
    if not cond:
        raise Failed(what)
    CHECKS.append(what)


class timed:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t = time.perf_counter()

    def __exit__(self, *exc):
        TIMINGS[self.name] = round(time.perf_counter() - self.t, 3)


# -- the site ------------------------------------------------------------------------------------------
class Site:
    """A browser-like session: log in, GET pages, POST forms with the page's CSRF token."""

    def __init__(self, base: str):
        self.base, self.s = base.rstrip("/"), requests.Session()

    def url(self, path):
        return path if path.startswith("http") else self.base + path

    def get(self, path, expect=200, **kw):
        r = self.s.get(self.url(path), **kw)
        check(r.status_code == expect, f"GET {path} -> {expect} (got {r.status_code})")
        return r

    def timed_get(self, name, path, expect=200):
        t = time.perf_counter()
        r = self.get(path, expect)
        TIMINGS[f"page {name}"] = round(time.perf_counter() - t, 3)
        return r

    def csrf(self, path="/"):
        html = self.s.get(self.url(path)).text
        m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
        check(m, f"CSRF token on {path}")
        return m.group(1)

    def post(self, path, data=None, files=None, expect=(200, 302), form_page=None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf(form_page or path))
        r = self.s.post(self.url(path), data=data, files=files, allow_redirects=False, **kw)
        check(r.status_code in (expect if isinstance(expect, tuple) else (expect,)),
              f"POST {path} -> {expect} (got {r.status_code}: {flash_text(r.text)[:300]})")
        return r

    def login(self, username, password):
        self.post("/auth/login", {"username": username, "password": password}, form_page="/auth/login")
        return self


def flash_text(html: str) -> str:
    return " | ".join(re.sub(r"<[^>]+>", " ", m).strip() for m in re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', html, re.S))


class Api:
    def __init__(self, base, username, password):
        self.base = base.rstrip("/") + "/api/v1"
        r = requests.post(self.base + "/token", json={"username": username, "password": password})
        check(r.status_code in (200, 201), f"API token for {username} (got {r.status_code} {r.text[:200]})")
        self.h = {"Authorization": "Bearer " + r.json()["token"]}

    def call(self, method, path, expect=(200, 201), **kw):
        r = requests.request(method, self.base + path, headers=self.h, **kw)
        codes = expect if isinstance(expect, tuple) else (expect,)
        check(r.status_code in codes, f"API {method} {path} -> {codes} (got {r.status_code} {r.text[:300]})")
        return r.json() if r.content and r.headers.get("Content-Type", "").startswith("application/json") else r


def cli(env_file: str, *args) -> str:
    cmd = f". {env_file} && cd {REPO} && {Path(PY).parent}/flask --app webapp " + " ".join(f"'{a}'" for a in args)
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
    check(r.returncode == 0, f"flask {' '.join(args)} (rc {r.returncode}: {r.stderr[-500:]})")
    return r.stdout


def pyrun(env_file: str, code: str) -> str:
    cmd = f". {env_file} && cd {REPO} && {PY} -c \"$REH_CODE\""
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env={**os.environ, "REH_CODE": code})
    check(r.returncode == 0, f"python snippet (rc {r.returncode}: {r.stderr[-800:]})")
    return r.stdout


# -- files -------------------------------------------------------------------------------------------
def pdf_bytes(title: str) -> bytes:
    return (b"%PDF-1.4\n% " + title.encode("utf-8") + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")


def zip_bytes(sb3: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if sb3:
            z.writestr("project.json", json.dumps({"targets": [], "meta": {"semver": "3.0.0"}}))
        else:
            z.writestr("src/main.py", "print('xin chào')\n")
            z.writestr("README.md", "# Sản phẩm\n")
    return buf.getvalue()


# -- steps -----------------------------------------------------------------------------------------------
def step_setup(a, st):
    org = Site(a.base).login("btc", "btc12345")
    now = datetime.now(timezone.utc) + timedelta(hours=7)  # Vietnam time for the form
    with timed("create contest (form)"):
        r = org.post("/contests/new", {
            "name": f"Hội thi Tin học trẻ thành phố — tổng duyệt {now:%H%M%S}", "year": now.year, "round": "city",
            "start_at": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end_at": (now + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
            "freeze_minutes": 0, "scoring": "ioi"}, form_page="/contests/new", expect=302)
    cid = int(re.search(r"/contests/(\d+)/manage", r.headers["Location"]).group(1))
    st["contest_id"] = cid
    org.timed_get("contest manage", f"/contests/{cid}/manage")
    st["divisions"] = divs_from_db(a, cid)
    check(sorted(st["divisions"]) == ["A", "B", "C1", "C2", "D1", "D2", "D3"], f"default divisions (got {sorted(st['divisions'])})")

    # ~200 students through the import page
    rows, used = [], set()
    for level, n in COUNTS.items():
        schools = [s for s, (lv, _) in SCHOOLS.items() if lv == level]
        for i in range(n):
            while True:
                name = f"{RNG.choice(SURNAMES)} {RNG.choice(MIDDLE)} {RNG.choice(GIVEN)}"
                if name not in used:
                    used.add(name)
                    break
            school = schools[i % len(schools)] if i % 5 else RNG.choice(schools)
            lo, hi = GRADES[level]
            grade = RNG.randint(lo, hi)
            year = datetime.now().year - 6 - grade
            rows.append([name, f"{RNG.randint(1, 28):02d}/{RNG.randint(1, 12):02d}/{year}", LEVEL_VI[level], grade,
                         school, SCHOOLS[school][1], "", ""])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["Họ và tên", "Ngày sinh", "Cấp học", "Lớp", "Trường", "Đơn vị", "Email", "Điện thoại"])
    w.writerows(rows)
    with timed("import 200 students (page)"):
        r = org.post("/auth/import", files={"file": ("thi_sinh.csv", ("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv")},
                     form_page="/auth/import", expect=303)
        progress = r.headers["Location"]  # the import runs as a background job; its page polls the status
        check("/auth/import/" in progress, f"import redirects to its progress page (got {progress})")
        deadline = time.monotonic() + 300
        while True:
            status = org.s.get(org.url(progress.rstrip("/") + "/status")).json()
            if status["final"] or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # polling a job's state, as the progress page does
        check(status["state"] == "done", f"import job done (got {status})")
        r = org.s.get(org.url(progress.rstrip("/") + "/result"))
    m = re.search(r"base64,([A-Za-z0-9+/=]+)", r.text)
    check(m, "import page offers the credentials CSV")
    creds = list(csv.reader(io.StringIO(base64.b64decode(m.group(1)).decode("utf-8-sig"))))[1:]
    check(len(creds) == len(rows), f"{len(rows)} students imported (got {len(creds)})")
    students = []
    for (name, dob, lvl, grade, school, unit, *_), (_n, _g, _s, user, pw) in zip(rows, creds):
        level = {v: k for k, v in LEVEL_VI.items()}[lvl]
        students.append({"name": name, "level": level, "grade": grade, "school": school, "unit": unit,
                         "username": user, "password": pw})
    st["students"] = students


def divs_from_db(a, cid) -> dict:
    out = pyrun(a.env, "from webapp import create_app; from webapp.models import Division; from webapp.extensions import db;"
                       "from sqlalchemy import select; import json\n"
                       "app=create_app()\nwith app.app_context():\n"
                       f" print(json.dumps({{d.code: d.id for d in db.session.scalars(select(Division).where(Division.contest_id=={cid}))}}))")
    return json.loads(out.strip().splitlines()[-1])


def step_entries(a, st):
    cid, students = st["contest_id"], st["students"]
    by_level = {lv: [s for s in students if s["level"] == lv] for lv in COUNTS}
    entries = []
    cats = {"D1": ["scratch", "game", "scratch"], "D2": ["web", "game", "mobile", "scratch", "software"],
            "D3": ["web", "software", "mobile", "game"]}
    titles = ["Trợ lý học tiếng Anh", "Bản đồ di tích Hà Nội", "Trò chơi phân loại rác", "Sổ tay sức khoẻ",
              "Ứng dụng đặt lịch thư viện", "Máy tính bỏ túi vui nhộn", "Khu vườn thông minh", "Học toán cùng Mèo",
              "Cảnh báo ngập lụt", "Giao thông an toàn", "Thời khoá biểu thông minh", "Góc sách chia sẻ"]
    t0 = time.perf_counter()
    n_req = 0
    for code, level in (("D1", "primary"), ("D2", "lower_secondary"), ("D3", "upper_secondary")):
        pool = list(by_level[level])
        RNG.shuffle(pool)
        for i in range(20):
            lead = pool.pop()
            team = [lead] + ([pool.pop()] if i % 3 != 0 else [])
            api = Api(a.base, lead["username"], lead["password"])
            sb3 = code == "D1" or i % 4 == 0
            data = {"contest_id": str(cid), "division": code, "title": f"{titles[i % len(titles)]} {code}-{i + 1}",
                    "summary": "Sản phẩm giúp các bạn học sinh " + "học tập và vui chơi " * 5,
                    "category": cats[code][i % len(cats[code])], "declared_not_awarded": "true",
                    "teammates": ",".join(m["username"] for m in team[1:])}
            if i % 2 == 0:  # a mentor from the lead's school
                data.update(mentor_name=f"Cô {RNG.choice(SURNAMES)} Thị {RNG.choice(GIVEN)}", mentor_school=lead["school"],
                            mentor_phone="0912 345 6" + f"{i:02d}")
            if i % 5 == 1:
                data["video_url"] = f"https://video.example.vn/{code}{i}"
            files = {"description": ("mô tả dự án.pdf", pdf_bytes(data["title"]), "application/pdf"),
                     ("sb3" if sb3 else "product"): ("du_an.sb3" if sb3 else "san_pham.zip", zip_bytes(sb3), "application/octet-stream")}
            e = api.call("POST", "/creative/entries", data=data, files=files, expect=201)
            n_req += 1
            entries.append({"id": e["id"], "division": code, "title": data["title"], "members": [m["username"] for m in team],
                            "schools": sorted({m["school"] for m in team} | ({data["mentor_school"]} if "mentor_school" in data else set())),
                            "units": sorted({m["unit"] for m in team})})
            check(e.get("complete", True) is not False, f"entry {e['id']} complete after create")
    TIMINGS["create 60 entries via API (per entry, token + multipart)"] = round((time.perf_counter() - t0) / n_req, 3)
    st["entries"] = entries
    # a duplicate member is refused
    dup = entries[1]
    s = next(x for x in students if x["username"] == dup["members"][0])
    api = Api(a.base, s["username"], s["password"])
    api.call("POST", "/creative/entries", expect=(409, 422), json={"contest_id": cid, "division": dup["division"],
             "title": "Bài thứ hai", "declared_not_awarded": True})


def step_judging(a, st):
    cid, divs, entries = st["contest_id"], st["divisions"], st["entries"]
    org = Site(a.base).login("btc", "btc12345")
    # judge accounts: there is no page to create staff accounts; one process does what `create-user` does
    code = ("from webapp import create_app; from webapp.extensions import db; from webapp.models import User;"
            "from webapp.services.users import create_user; from sqlalchemy import select\n"
            "app=create_app()\nwith app.app_context():\n"
            f" for u, n in {[(j[0], j[1]) for j in JUDGES]!r}:\n"
            "  if db.session.scalar(select(User).where(User.username==u)) is None:\n"
            f"   create_user(u, {JUDGE_PASSWORD!r}, 'judge', full_name=n)\n"
            " db.session.commit()\n"
            " print({u.username: u.id for u in db.session.scalars(select(User).where(User.role=='judge'))})")
    judge_ids = eval(pyrun(a.env, code).strip().splitlines()[-1])
    st["judge_ids"] = judge_ids
    d1 = divs["D1"]
    with timed("set 10 judges' school/unit (panel page)"):
        for u, _n, school, unit in JUDGES:
            org.post(f"/creative/org/{d1}/panel/1", {"action": "judge", "judge_id": judge_ids[u], "school": school or "",
                                                     "district": unit if school else "", "unit": unit})
    # a judge declares a conflict (a unit); the organiser records one (a school)
    gk = Site(a.base).login("gk_tuan", JUDGE_PASSWORD)
    gk.post("/creative/judge/conflicts", {"kind": "unit", "unit": "Quận Cầu Giấy", "reason": "Con tôi học ở quận này"})
    page = org.get(f"/creative/org/{d1}/panel/1").text
    kimlien = re.search(r'<option value="(\d+)"[^>]*>\s*Trường THPT Kim Liên', page)
    check(kimlien, "the panel page lists schools for a recorded conflict")
    org.post(f"/creative/org/{d1}/panel/1", {"action": "conflict", "judge_id": judge_ids["gk_minh"], "kind": "school",
                                              "school_id": kimlien.group(1), "reason": "Từng dạy ở trường này"})
    # settings: D2 blind, D3 z-score (judging page)
    for code_, blind, agg in (("D1", False, "mean"), ("D2", True, "mean"), ("D3", False, "zscore")):
        data = {"judges_per_entry": 3, "aggregation": agg, "disagreement_threshold": 20, "round2_weight": 1}
        if blind:
            data["blind"] = "y"
        org.post(f"/creative/org/{divs[code_]}/judging", data)
    panels = {"D1": ["gk_thu", "gk_son", "gk_binh"],
              "D2": ["gk_lan", "gk_nga", "gk_tuan", "gk_minh", "gk_son", "gk_khoa"],
              "D3": ["gk_hoa", "gk_ha", "gk_tuan", "gk_minh", "gk_khoa", "gk_binh", "gk_son"]}
    reports = {}
    for code_, names in panels.items():
        did = divs[code_]
        org.post(f"/creative/org/{did}/panel/1", {"action": "panel", "judge_ids": [judge_ids[n] for n in names]})
        with timed(f"assignment k=3 {code_} (panel page POST)"):
            r = org.post(f"/creative/org/{did}/panel/1", {"action": "run", "per_entry": 3}, expect=200)
        reports[code_] = r.text
    # the CLI gives the same assignment (hand-made/scored kept) and the shortfall
    out = json.loads(cli(a.env, "creative", "assign", "--contest", str(cid), "--division", "D1", "--per-entry", "3", "--json"))
    st["d1_shortfall"] = out["shortfall"]
    kimdong = [e for e in entries if e["division"] == "D1" and ("Trường Tiểu học Kim Đồng" in e["schools"] or "Quận Ba Đình" in e["units"])]
    short_ids = {s["entry_id"] for s in out["shortfall"]}
    check(short_ids == {e["id"] for e in kimdong},
          f"D1 shortfall = the entries conflicting with gk_thu (Kim Đồng / Ba Đình): {sorted(short_ids)} vs {sorted(e['id'] for e in kimdong)}")
    for s in out["shortfall"]:
        check(s["assigned"] == 2 and s["needed"] == 3, f"D1 entry {s['entry_id']} has 2 of 3 judges")
    check("Kim Đồng" in reports["D1"] or "gk_thu" in reports["D1"], "the D1 shortfall report on the page names the conflict")
    check(sum(out["loads"].values()) == len(out["assignments"]) == 3 * 20 - len(short_ids),
          f"D1: 3 judges per entry but for the shortfall ({len(out['assignments'])} assignments)")
    # every judge scores through the API; quality per entry + judge bias + noise; a few disagreements
    quality = {e["id"]: RNG.uniform(0.35, 0.95) for e in entries}
    bias = {u: RNG.uniform(-0.08, 0.08) for u, *_ in JUDGES}
    disagree = {e["id"] for e in entries[::9]}
    t0, n = time.perf_counter(), 0
    for u, *_ in JUDGES:
        api = Api(a.base, u, JUDGE_PASSWORD)
        assigned = api.call("GET", "/creative/assigned")["entries"]
        for i, item in enumerate(assigned):
            crit = item["criteria"]
            if item["blind"]:
                check("members" not in item and "mentor" not in item, f"blind entry {item['entry_id']} hides members for {u}")
            q = quality[item["entry_id"]] + bias[u] + RNG.uniform(-0.04, 0.04)
            if item["entry_id"] in disagree and i % 2 == 0:
                q = q - 0.35 if q > 0.6 else q + 0.35
            q = min(1.0, max(0.0, q))
            points = {c["name"]: round(c["max_points"] * q) for c in crit}
            submit = not (u == "gk_son" and i == 0)  # one sheet left as a draft for a while
            api.call("PUT", f"/creative/entries/{item['entry_id']}/score", json={"criteria": points, "comment": "Nhận xét: tốt", "submit": submit})
            n += 1
        if u == "gk_son" and assigned:
            api.call("PUT", f"/creative/entries/{assigned[0]['entry_id']}/score",
                     json={"criteria": {c["name"]: round(c["max_points"] * 0.7) for c in assigned[0]["criteria"]}, "submit": True})
    TIMINGS["score sheet PUT via API (per sheet)"] = round((time.perf_counter() - t0) / max(n, 1), 3)
    st["sheets"] = n
    # rankings
    for code_ in ("D1", "D2", "D3"):
        org.timed_get(f"creative ranking {code_}", f"/creative/org/{divs[code_]}/ranking")
        org.timed_get(f"creative sheets {code_}", f"/creative/org/{divs[code_]}/sheets")
        org.timed_get(f"creative panel {code_}", f"/creative/org/{divs[code_]}/panel/1")
    ranking = json.loads(cli(a.env, "creative", "ranking", "--contest", str(cid), "--division", "D2", "--json"))
    check(len(ranking) == 20, f"D2 ranking has 20 entries (got {len(ranking)})")
    check(all(r["score"] is not None for r in ranking), "every D2 entry has a score")
    check(any(r["flagged"] for r in ranking), "some D2 entry is flagged for disagreement")
    st["rank_d2"] = ranking


def step_programming(a, st):
    cid, divs, students = st["contest_id"], st["divisions"], st["students"]
    org = Site(a.base).login("btc", "btc12345")
    with timed("import problem HCN (CLI)"):
        pid = st.get("problem_a") or int(cli(a.env, "import-problem", "--contest", str(cid), "--division", "A", str(REPO / "problems" / "hcn")).split()[-1])
    st["problem_a"] = pid
    thpt = [s for s in students if s["level"] == "upper_secondary"]
    groups = {"A": [s for s in students if s["level"] == "primary"],
              "B": [s for s in students if s["level"] == "lower_secondary"], "C1": thpt[:40], "C2": thpt[40:]}
    for code, people in groups.items():
        with timed(f"admit {len(people)} to {code} (participants page)"):  # 422 on a rerun: already admitted
            org.post(f"/contests/{cid}/divisions/{divs[code]}/participants",
                     {"usernames": "\n".join(p["username"] for p in people)}, expect=(200, 422))
        page = org.get(f"/contests/{cid}/divisions/{divs[code]}/participants").text
        check(all(p["username"] in page for p in people), f"all {len(people)} admitted to {code}")
    st["groups"] = {k: [p["username"] for p in v] for k, v in groups.items()}
    ok = (REPO / "problems/hcn/submissions/accepted/hcn.py").read_text()
    bad = (REPO / "problems/hcn/submissions/run_time_error/wrong_file.py").read_text()
    subs = []
    for i, s in enumerate(groups["A"][:10]):
        api = Api(a.base, s["username"], s["password"])
        r = api.call("POST", "/submissions", json={"problem_id": pid, "language": "python3", "source": ok if i < 7 else bad}, expect=201)
        subs.append((api, r["id"]))
    t0 = time.perf_counter()
    for api, sid in subs:
        while True:
            r = api.call("GET", f"/submissions/{sid}")
            if r["status"] == "done":
                break
            check(time.perf_counter() - t0 < 600, "10 submissions judged within 10 minutes")
            time.sleep(1)
    TIMINGS["judge 10 submissions (worker, wall)"] = round(time.perf_counter() - t0, 1)
    # B: external scores through the CLI; C1: through the page (one bad file first, refused whole)
    rows = [(p["username"], RNG.choice([0, 15, 30, 45, 55, 60, 60, 70, 85, 100])) for p in groups["B"]]
    path = Path(a.out) / "diem_B.csv"
    path.write_text("username,score\n" + "".join(f"{u},{sc}\n" for u, sc in rows), encoding="utf-8")
    cli(a.env, "results", "import-scores", "--contest", str(cid), "--division", "B", str(path), "--reason", "Chấm tại trường")
    page = f"/results/contest/{cid}/division/{divs['C1']}/import-scores"
    bad_csv = "Tên đăng nhập;Điểm\n" + f"{groups['C1'][0]['username']};abc\nkhong_co_ai;50\n"
    r = org.post(page, {"reason": "x"}, files={"file": ("c1.csv", bad_csv.encode(), "text/csv")}, expect=422)
    check("abc" in r.text or "2" in r.text, "a bad score file is refused with errors by row")
    good = "Họ và tên;Trường;Điểm\n" + "".join(f"{p['name']};{p['school']};{RNG.randint(20, 200) / 2:.1f}".replace(".", ",") + "\n" for p in groups["C1"])
    with timed("import 40 external scores (page)"):
        org.post(page, {"reason": "Chấm tập trung"}, files={"file": ("c1.csv", good.encode("utf-8"), "text/csv")}, expect=200)
    org.timed_get("scoreboard A", f"/contests/{cid}/scoreboard/{divs['A']}")


RULE = {"first_mode": "fraction", "first_value": "0,1", "second_mode": "fraction", "second_value": "0,15",
        "third_mode": "fraction", "third_value": "0,2", "consolation_mode": "fraction", "consolation_value": "0,25",
        "max_total_fraction": "0,6", "ties": "at_most", "rounding": "floor"}
QUALIFIERS = """divisions:
  A: {top: 4}
  B: {award_at_least: second}
  C1: {top: 5}
  D1: {top: 3}
  D2: {top: 3}
  D3: {award_at_least: second}
per_unit_cap: 3
unit_by: unit
total: 26
ties: at_most
"""


def step_results(a, st):
    cid, divs, entries = st["contest_id"], st["divisions"], st["entries"]
    org = Site(a.base).login("btc", "btc12345")
    org.post(f"/results/contest/{cid}/manage", {"qualifier_rule": QUALIFIERS, "overall_prize_cap": "", "appeal_hours": 48})
    for code, did in divs.items():
        org.post(f"/results/divisions/{did}/rule", RULE, expect=302)
    previews = {}
    for code, did in divs.items():
        previews[code] = org.timed_get(f"results preview {code}", f"/results/divisions/{did}/preview").text
    tally = {}
    admin = Api(a.base, "btc", "btc12345")
    for code, did in divs.items():
        tally[code] = admin.call("GET", f"/results/divisions/{did}/tally")
    st["tally"] = tally
    for code in ("D1", "D2", "D3"):
        rows = tally[code]["rows"] if isinstance(tally[code], dict) else tally[code]
        check(len(rows) == 20, f"{code} tally has one row per entry (20, got {len(rows)})")
        awards = sum(1 for r in rows if r["award"])
        check(awards <= 12, f"{code}: prizes within 60% of 20 entrants (got {awards})")
        check(all(r["reason"] for r in rows), f"{code}: every row has a reason")
    d2 = tally["D2"]["rows"] if isinstance(tally["D2"], dict) else tally["D2"]
    # an adjustment with a reason: the best unawarded D2 entry gets a consolation prize
    target = next(r for r in d2 if not r["award"])
    entrant = re.search(r'<option value="(entry:\d+)">[^<]*' + re.escape(target["username"].split(",")[0]), previews["D2"])
    check(entrant, "the adjustment form lists D2 entries")
    org.post(f"/results/divisions/{divs['D2']}/adjust", {"entrant": entrant.group(1), "field": "award", "value": "consolation",
             "reason": "Hội đồng xét lại: sản phẩm có tính ứng dụng cao"}, form_page=f"/results/divisions/{divs['D2']}/preview", expect=302)
    st["adjusted"] = entrant.group(1)
    for code, did in divs.items():
        org.post(f"/results/divisions/{did}/lock", form_page=f"/results/divisions/{did}/preview", expect=302)
        org.post(f"/results/divisions/{did}/publish", form_page=f"/results/divisions/{did}/preview", expect=302)
    org.timed_get("results manage (qualifiers)", f"/results/contest/{cid}/manage")
    anon = Site(a.base)
    page = anon.timed_get("public results (anonymous)", f"/results/contest/{cid}").text
    adjusted = next(e for e in entries if f"entry:{e['id']}" == st["adjusted"])
    check(adjusted["title"] in page, "the adjusted D2 entry is in the public prize list")
    # exports
    ex = {}
    for code in ("D2", "A"):
        for fmt in ("xlsx", "csv"):
            t = time.perf_counter()
            ex[(code, fmt)] = org.get(f"/results/contest/{cid}/division/{divs[code]}/prizes.{fmt}").content
            TIMINGS[f"export prizes {code}.{fmt}"] = round(time.perf_counter() - t, 3)
    for fmt in ("xlsx", "csv"):
        t = time.perf_counter()
        ex[("Q", fmt)] = org.get(f"/results/contest/{cid}/qualifiers.{fmt}").content
        TIMINGS[f"export qualifiers.{fmt}"] = round(time.perf_counter() - t, 3)
    for k, v in ex.items():
        (Path(a.out) / f"export_{k[0]}.{k[1]}").write_bytes(v)
    t = time.perf_counter()
    pdf = org.get(f"/results/contest/{cid}/division/{divs['D2']}/certificates.pdf").content
    TIMINGS["certificates D2 merged PDF"] = round(time.perf_counter() - t, 3)
    (Path(a.out) / "certificates_D2.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(Path(a.out) / "certificates_D2.pdf"),
                    str(Path(a.out) / "shots" / "certificate_D2")], check=True)
    text = subprocess.run(["pdftotext", str(Path(a.out) / "certificates_D2.pdf"), "-"], capture_output=True, text=True).stdout
    winners = [r for r in d2 if r["award"]]
    for r in winners:
        for name in r["full_name"].split(", "):
            check(name in text, f"certificate PDF names {name}")
    exports_page = org.timed_get("exports page", f"/results/contest/{cid}/exports").text
    check("qualifiers.xlsx" in exports_page, "the qualifier export is offered once every division is locked")
    # appeal by a D2 member of an entry without a prize; the organiser re-scores it
    final = admin.call("GET", f"/results/divisions/{divs['D2']}/tally")
    rows = final["rows"] if isinstance(final, dict) else final
    loser = next(r for r in reversed(rows) if not r["award"])
    student = next(s for s in st["students"] if s["username"] == loser["username"].split(", ")[0])
    stu = Site(a.base).login(student["username"], student["password"])
    stu.post(f"/results/divisions/{divs['D2']}/appeals/new", {"reason": "Em đề nghị chấm lại phần kỹ thuật"},
             form_page=f"/results/contest/{cid}", expect=302)
    appeals = org.timed_get("appeals list", f"/results/contest/{cid}/appeals").text
    aid = re.search(r"/results/appeals/(\d+)", appeals)
    check(aid, "the organiser sees the appeal")
    org.post(f"/results/appeals/{aid.group(1)}", {"action": "rescore", "score": "90", "response": "Chấm lại: 90 điểm"}, expect=302)
    page = org.get(f"/results/appeals/{aid.group(1)}").text
    mine = stu.get(f"/results/contest/{cid}").text
    st["appeal"] = {"id": int(aid.group(1)), "student": student["username"], "entrant": loser["username"]}
    check("90" in mine, "the student sees the new score after the appeal")
    # an appeal in B (scores imported, no problem here): on the whole score; the organiser rejects it
    b_user = _student(st, st["groups"]["B"][0])
    bs = Site(a.base).login(b_user["username"], b_user["password"])
    page = bs.get(f"/results/contest/{cid}").text
    check(f'id="problem-{divs["B"]}"' not in page, "no (empty) problem list in the B appeal form")
    bs.post(f"/results/divisions/{divs['B']}/appeals/new", {"reason": "Em nghĩ bài 2 bị chấm thiếu"},
            form_page=f"/results/contest/{cid}", expect=302)
    appeals = org.get(f"/results/contest/{cid}/appeals").text
    ids = sorted(int(x) for x in re.findall(r"/results/appeals/(\d+)", appeals))
    check(len(ids) == 2, f"the B appeal (whole score) is filed (appeals: {ids})")
    org.post(f"/results/appeals/{ids[-1]}", {"action": "reject", "response": "Đã kiểm tra: điểm đúng"}, expect=302)
    check("Đã kiểm tra: điểm đúng" in bs.get(f"/results/contest/{cid}").text, "the B student sees the answer")
    # qualifiers: per-unit cap and total, counted in people (team members in their own districts)
    q = list(csv.reader(io.StringIO(ex[("Q", "csv")].decode("utf-8-sig"))))
    head, body = q[0], q[1:]
    per_unit: dict[str, int] = {}
    for r in body:
        per_unit[r[head.index("Đơn vị")]] = per_unit.get(r[head.index("Đơn vị")], 0) + 1
    check(max(per_unit.values()) <= 3, f"at most 3 qualifiers per district ({per_unit})")
    check(len(body) <= 26, f"at most 26 qualifiers ({len(body)})")
    st["qualifiers"] = len(body)


class Browser:
    """Debian's Chromium through Playwright; one context (cookies) per person."""

    def __init__(self, a):
        from playwright.sync_api import sync_playwright

        self.a, self.pw = a, sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                               args=["--headless=new", "--no-sandbox", "--disable-gpu"])

    def person(self, username, password):
        ctx = self.browser.new_context(base_url=self.a.base, viewport={"width": 1280, "height": 900}, locale="vi-VN")
        page = ctx.new_page()
        page.goto("/auth/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form [type=submit]")
        page.wait_for_load_state()
        check("/auth/login" not in page.url, f"{username} logged in in the browser")
        return page

    def shot(self, page, name):
        path = Path(self.a.out) / "shots" / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        SHOTS.append(str(path))

    def close(self):
        self.browser.close()
        self.pw.stop()


SHOTS: list[str] = []


def _student(st, username):
    return next(s for s in st["students"] if s["username"] == username)


def step_browser_before(a, st):
    """Before results: a blind judge sees no names; a student sees no score; Vietnamese pages."""
    cid, divs, entries = st["contest_id"], st["divisions"], st["entries"]
    b = Browser(a)
    try:
        d2 = [e for e in entries if e["division"] == "D2"]
        judge = b.person("gk_lan", JUDGE_PASSWORD)
        judge.goto("/creative/judge")
        b.shot(judge, "judge_home")
        link = judge.locator("a[href*='/creative/judge/entries/']").first
        href = link.get_attribute("href")
        eid = int(re.search(r"/entries/(\d+)/", href).group(1))
        judge.goto(href)
        b.shot(judge, "judge_sheet_blind")
        entry = next(e for e in entries if e["id"] == eid)
        text = judge.inner_text("main") if judge.locator("main").count() else judge.inner_text("body")
        check(entry["division"] == "D2", "gk_lan's first entry is a D2 (blind) entry")
        people = [s for s in st["students"] if s["username"] in entry["members"]]
        for s in people:
            check(s["name"] not in text and s["username"] not in text, f"blind sheet hides member {s['username']}")
            check(s["school"] not in text, f"blind sheet hides the school {s['school']}")
        judge.goto(href.rstrip("/") + "/print")
        b.shot(judge, "judge_print_blind")
        text = judge.inner_text("body")
        check(all(s["name"] not in text for s in people), "the printable sheet is blind too")
        # a student before publishing: no score on the entry page nor on the results page
        e = d2[0]
        stu = b.person(e["members"][0], _student(st, e["members"][0])["password"])
        stu.goto(f"/creative/entries/{e['id']}")
        b.shot(stu, "student_entry_before_publishing")
        text = stu.inner_text("body")
        score = next((r["score"] for r in st["rank_d2"] if r["entry_id"] == e["id"]), None)
        check(score is not None and f"{score:.2f}" not in text and f"{score:.1f}" not in text,
              "the student sees no score before publishing")
        stu.goto(f"/results/contest/{cid}")
        b.shot(stu, "student_results_before_publishing")
        check(e["title"] not in stu.inner_text("body"), "no D2 result is public before publishing")
        # the organiser's pages in Vietnamese, then once in English
        org = b.person("btc", "btc12345")
        for name, path in (("org_contest_manage", f"/contests/{cid}/manage"),
                           ("org_creative_panel_D1", f"/creative/org/{divs['D1']}/panel/1"),
                           ("org_creative_ranking_D2", f"/creative/org/{divs['D2']}/ranking"),
                           ("org_creative_settings_D2", f"/creative/divisions/{divs['D2']}/settings"),
                           ("org_entries_D3", f"/creative/divisions/{divs['D3']}/entries")):
            t = time.perf_counter()
            org.goto(path)
            TIMINGS[f"browser {name}"] = round(time.perf_counter() - t, 3)
            b.shot(org, name)
        # the organiser reruns the D1 assignment in the browser: the shortfall report names the conflicts
        org.goto(f"/creative/org/{divs['D1']}/panel/1")
        org.fill("#per_entry", "3")
        org.get_by_role("button", name="Chạy phân công").click()
        org.wait_for_load_state()
        b.shot(org, "org_assignment_report_D1")
        text = org.inner_text("body")
        check("gk_thu" in text, "the shortfall report on the page names the conflicted judge")
        org.goto("/lang/en")
        org.goto(f"/creative/org/{divs['D2']}/ranking")
        b.shot(org, "org_creative_ranking_D2_en")
        check(org.locator("html").get_attribute("lang") == "en", "the English switch works")
        org.goto("/lang/vi")
    finally:
        b.close()


def step_browser_after(a, st):
    """After publishing: the student sees the score, the organiser's results pages, the public page."""
    cid, divs, entries = st["contest_id"], st["divisions"], st["entries"]
    b = Browser(a)
    try:
        org = b.person("btc", "btc12345")
        for name, path in (("results_manage", f"/results/contest/{cid}/manage"),
                           ("results_preview_D2", f"/results/divisions/{divs['D2']}/preview"),
                           ("results_preview_A", f"/results/divisions/{divs['A']}/preview"),
                           ("results_exports", f"/results/contest/{cid}/exports"),
                           ("results_appeals", f"/results/contest/{cid}/appeals"),
                           ("results_appeal", f"/results/appeals/{st['appeal']['id']}")):
            t = time.perf_counter()
            org.goto(path)
            TIMINGS[f"browser {name}"] = round(time.perf_counter() - t, 3)
            b.shot(org, name)
        e = next(x for x in entries if x["division"] == "D2")
        stu = b.person(e["members"][0], _student(st, e["members"][0])["password"])
        stu.goto(f"/creative/entries/{e['id']}")
        b.shot(stu, "student_entry_after_publishing")
        score = next(r["score"] for r in st["rank_d2"] if r["entry_id"] == e["id"])
        text = stu.inner_text("body")
        check(f"{score:.2f} điểm" in text, "the student sees the entry's score once published")
        check("Đã khoá: kết quả bảng đã chốt" in text and "Sửa thông tin" not in text,
              "the entry is locked for its team once the results are locked")
        appellant = next(x for x in entries if st["appeal"]["student"] in x["members"])
        stu2 = b.person(st["appeal"]["student"], _student(st, st["appeal"]["student"])["password"])
        stu2.goto(f"/creative/entries/{appellant['id']}")
        b.shot(stu2, "student_entry_after_appeal")
        check("90.00 điểm" in stu2.inner_text("body"), "the entry page shows the score after the appeal")
        ap = b.person(st["appeal"]["student"], _student(st, st["appeal"]["student"])["password"])
        ap.goto(f"/results/contest/{cid}")
        b.shot(ap, "student_results_appeal")
        anon = b.browser.new_context(base_url=a.base, viewport={"width": 1280, "height": 900}).new_page()
        anon.goto(f"/results/contest/{cid}")
        b.shot(anon, "public_results")
    finally:
        b.close()


def step_permissions(a, st):
    """What each role must not reach, on the real site."""
    cid, divs, entries = st["contest_id"], st["divisions"], st["entries"]
    e1, e2 = entries[0], entries[1]
    stu = Site(a.base).login(e1["members"][0], _student(st, e1["members"][0])["password"])
    stu.get(f"/creative/entries/{e2['id']}", expect=403)
    for path in (f"/results/divisions/{divs['D2']}/preview", f"/results/contest/{cid}/exports",
                 f"/creative/org/{divs['D2']}/ranking", f"/creative/divisions/{divs['D2']}/settings",
                 f"/results/contest/{cid}/qualifiers.csv"):
        stu.get(path, expect=403)
    judge = Site(a.base).login("gk_thu", JUDGE_PASSWORD)  # D1 panel only
    d3 = next(e for e in entries if e["division"] == "D3")
    judge.get(f"/creative/judge/entries/{d3['id']}/1", expect=(403))
    for path in (f"/results/divisions/{divs['D1']}/preview", f"/creative/org/{divs['D1']}/ranking",
                 f"/results/contest/{cid}/division/{divs['D1']}/prizes.xlsx"):
        judge.get(path, expect=403)
    api = Api(a.base, "gk_thu", JUDGE_PASSWORD)
    api.call("GET", f"/results/divisions/{divs['D1']}/tally", expect=403)
    api.call("PUT", f"/creative/entries/{d3['id']}/score", expect=403, json={"criteria": {}, "submit": True})
    files = Api(a.base, "btc", "btc12345").call("GET", f"/creative/entries/{d3['id']}")["files"]
    api.call("GET", f"/creative/entries/{d3['id']}/files/{files[0]['id']}", expect=(403, 404))


STEPS = {"setup": step_setup, "entries": step_entries, "judging": step_judging, "browser_before": step_browser_before,
         "permissions": step_permissions, "programming": step_programming, "results": step_results, "browser_after": step_browser_after}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", default="http://127.0.0.1:5077")
    p.add_argument("--env", default="/tmp/reh/env.sh", help="a shell file exporting the site's settings (for the CLI)")
    p.add_argument("--out", default="/tmp/reh")
    p.add_argument("--steps", default=",".join(STEPS))
    a = p.parse_args(argv)
    out = Path(a.out)
    (out / "shots").mkdir(parents=True, exist_ok=True)
    state_file = out / "state.json"
    st = json.loads(state_file.read_text()) if state_file.exists() else {}
    try:
        for name in a.steps.split(","):
            with timed(f"step {name}"):
                STEPS[name](a, st)
            state_file.write_text(json.dumps(st, ensure_ascii=False, indent=1))
            print(f"step {name}: ok ({TIMINGS[f'step {name}']} s)", flush=True)
    finally:
        report = {"timings": TIMINGS, "checks": len(CHECKS), "screenshots": SHOTS}
        (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
        print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
