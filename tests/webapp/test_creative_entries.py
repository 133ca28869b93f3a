"""Creative entries: settings, team rules, deadline lock, uploads checked by content, nothing
half-stored, download permissions, and the API (create, update, upload, download)."""
from __future__ import annotations

import io
import os
import stat
import time
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.http import parse_options_header
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from webapp.extensions import db
from webapp.models import (
    AuditLog,
    CreativeEntry,
    CreativeSettings,
    DivisionResult,
    EntryFile,
    EntryMember,
    JudgeAssignment,
    Participation,
    utcnow,
)
from webapp.services import creative_entries as svc
from webapp.services import uploads

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64


def make_zip(members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


GOOD_ZIP = make_zip({"src/main.py": b"print('xin chao')\n", "README.md": b"# Du an\n"})
SB3 = make_zip({"project.json": b'{"targets": []}', "0a1b.svg": b"<svg/>"})


@pytest.fixture
def world(app, make_user, make_contest, admit):
    """A running contest with creative D2 (THCS) and D3 (THPT), programming B; students of THCS, one of
    THPT, an organiser, two judges."""
    contest = make_contest(divisions=(("B", "lower_secondary", "programming"), ("D2", "lower_secondary", "creative"),
                                      ("D3", "upper_secondary", "creative")))
    b, d2, d3 = contest.divisions
    w = type("World", (), {})()
    w.contest, w.b, w.d2, w.d3 = contest, b, d2, d3
    w.an = make_user("an", full_name="Nguyễn Văn An")
    w.binh = make_user("binh", full_name="Trần Thị Bình")
    w.chi = make_user("chi", full_name="Lê Chi")
    w.dung = make_user("dung", full_name="Phạm Dũng")
    w.thpt = make_user("hsthpt", level="upper_secondary", grade=11)
    w.btc = make_user("btc", role="organiser")
    w.gk1 = make_user("gk1", role="judge")
    w.gk2 = make_user("gk2", role="judge")
    return w


FIELDS = {"title": "Ứng dụng học từ vựng", "summary": "Giúp học sinh học tiếng Anh.", "category": "mobile",
          "mentor_name": "Cô Hoa", "mentor_school": "THCS Nguyễn Du", "mentor_phone": "0903 123 456",
          "video_url": "https://video.example/abc", "repo_url": "http://git.example/an/app",
          "declared_not_awarded": True}


def staged(division, kind: str, data: bytes, name: str):
    return svc.stage_file(division, kind, io.BytesIO(data), name)


def store_files(app) -> list[str]:
    root = app.config["CREATIVE_DIR"]
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


# -- settings ----------------------------------------------------------------------------------------
def test_settings_for_creates_defaults_once(world):
    s = svc.settings_for(world.d2)
    assert (s.max_team_size, s.max_file_mb, s.max_entry_mb, s.judges_per_entry, s.aggregation,
            s.disagreement_threshold, s.blind, s.two_rounds, s.round2_weight) == (2, 50, 100, 3, "mean", 20.0, False, False, 1.0)
    assert svc.settings_for(world.d2).id == s.id
    assert db.session.scalar(select(func.count(CreativeSettings.id))) == 1
    assert not hasattr(CreativeSettings, "results_published")


def test_settings_page_saves_the_entry_fields_with_local_deadline_and_audit(world, client):
    client.login("btc")
    url = f"/creative/divisions/{world.d2.id}/settings"
    r = client.get(url)
    assert r.status_code == 200 and "Cài đặt — Bảng D2" in r.get_data(as_text=True)
    r = client.post_form(url, {"max_team_size": "3", "max_file_mb": "20", "max_entry_mb": "60",
                               "deadline": "2030-05-01T17:30"})
    assert r.status_code == 302
    s = svc.settings_for(world.d2)
    db.session.refresh(s)
    assert (s.max_team_size, s.max_file_mb, s.max_entry_mb) == (3, 20, 60)
    assert s.deadline.isoformat() == "2030-05-01T10:30:00"  # 17:30 in Asia/Ho_Chi_Minh (UTC+7)
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "creative.settings")).one()
    assert log.details["before"]["max_team_size"] == 2 and log.details["after"]["max_team_size"] == 3
    # contradictory values are refused with the field named
    r = client.post_form(url, {"max_team_size": "2", "max_file_mb": "50", "max_entry_mb": "10"})
    assert r.status_code == 422
    assert "Giới hạn cho cả bài dự thi phải lớn hơn" in r.get_data(as_text=True)


def test_settings_page_is_for_organisers_only(world, client):
    client.login("an")
    assert client.get(f"/creative/divisions/{world.d2.id}/settings").status_code == 403
    assert client.get(f"/creative/divisions/{world.d2.id}/entries").status_code == 403


# -- creating entries --------------------------------------------------------------------------------
def test_create_entry_admits_members_and_audits(world):
    entry = svc.create_entry(world.an, world.d2, FIELDS, "Binh")
    assert [m.user.username for m in entry.members] == ["an", "binh"]
    assert entry.mentor_phone == "0903 123 456" and entry.category == "mobile"
    admitted = db.session.scalars(select(Participation.user_id).where(Participation.division_id == world.d2.id)).all()
    assert sorted(admitted) == sorted([world.an.id, world.binh.id])
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "creative.entry.create")) == 1


def test_team_cap_is_the_division_setting(world, make_user):
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.an, world.d2, FIELDS, "binh, chi")
    assert "tối đa 2 thành viên" in e.value.message and e.value.field == "teammates"
    assert db.session.scalar(select(func.count(CreativeEntry.id))) == 0
    assert db.session.scalar(select(func.count(Participation.id))) == 0
    svc.settings_for(world.d2).max_team_size = 3
    db.session.commit()
    entry = svc.create_entry(world.an, world.d2, FIELDS, "binh, chi")
    assert len(entry.members) == 3


def test_level_rule_and_one_creative_division_per_contest(world, admit):
    # a THPT student may not enter D2 (below their level)
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.an, world.d2, FIELDS, "hsthpt")
    assert "cao hơn bảng D2" in e.value.message
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.thpt, world.d2, FIELDS)
    assert "hsthpt" in e.value.message
    # a THCS student may not enter D3 (no allow_higher)
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.an, world.d3, FIELDS)
    assert "không nhận thí sinh cấp học" in e.value.message
    world.d3.allow_higher = True
    db.session.commit()
    # already in creative division D2 -> not D3 as well (one creative division per contest)
    admit(world.chi, world.d2)
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.an, world.d3, FIELDS, "chi")
    assert "đã thi bảng D2" in e.value.message
    # a programming division does not count against the creative one
    admit(world.dung, world.b)
    entry = svc.create_entry(world.an, world.d3, FIELDS, "dung")
    assert {m.user.username for m in entry.members} == {"an", "dung"}


def test_a_student_belongs_to_one_entry_per_division(world):
    svc.create_entry(world.an, world.d2, FIELDS, "binh")
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.chi, world.d2, FIELDS, "binh")
    assert "binh đã là thành viên của một bài dự thi khác" in e.value.message
    with pytest.raises(svc.EntryError):
        svc.create_entry(world.binh, world.d2, FIELDS)
    assert db.session.scalar(select(func.count(EntryMember.id))) == 2


@pytest.mark.parametrize("change, field, text", [
    ({"title": "  "}, "title", "Hãy nhập tên sản phẩm"),
    ({"declared_not_awarded": False}, "declared_not_awarded", "chưa từng đoạt giải"),
    ({"video_url": "javascript:alert(1)"}, "video_url", "http:// hoặc https://"),
    ({"repo_url": "ftp://x.example/r"}, "repo_url", "http:// hoặc https://"),
    ({"category": "robot"}, "category", "Thể loại “robot” không có"),
    ({"mentor_phone": "<script>"}, "mentor_phone", "Số điện thoại"),
])
def test_entry_fields_are_checked(world, change, field, text):
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.an, world.d2, {**FIELDS, **change})
    assert e.value.field == field and text in e.value.message


def test_only_students_create_and_only_in_creative_divisions(world):
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.btc, world.d2, FIELDS)
    assert e.value.status == 403
    with pytest.raises(svc.EntryError) as e:
        svc.create_entry(world.an, world.b, FIELDS)
    assert "không phải bảng sản phẩm sáng tạo" in e.value.message


def test_create_entry_page_with_a_teammate(world, client):
    client.login("an")
    r = client.get("/creative/")
    assert f"/creative/divisions/{world.d2.id}/entries/new" in r.get_data(as_text=True)
    assert f"/creative/divisions/{world.d3.id}/entries/new" not in r.get_data(as_text=True)
    url = f"/creative/divisions/{world.d2.id}/entries/new"
    r = client.post_form(url, {**FIELDS, "declared_not_awarded": "", "teammates": "binh"})
    assert r.status_code == 422 and "chưa từng đoạt giải" in r.get_data(as_text=True)
    r = client.post_form(url, {**FIELDS, "declared_not_awarded": "y", "teammates": "binh"})
    assert r.status_code == 302
    entry = db.session.scalars(select(CreativeEntry)).one()
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Trần Thị Bình" in page and "Bản nháp: còn thiếu" in page
    # binh, a member, can edit it too
    client.post_form("/auth/logout", {}, form_url="/")
    client.login("binh")
    r = client.post_form(f"/creative/entries/{entry.id}/edit", {**FIELDS, "title": "Từ vựng vui",
                                                                "declared_not_awarded": "y", "teammates": "an"})
    assert r.status_code == 302
    db.session.refresh(entry)
    assert entry.title == "Từ vựng vui"
    # chi is not a member
    client.post_form("/auth/logout", {}, form_url="/")
    client.login("chi")
    assert client.get(f"/creative/entries/{entry.id}").status_code == 403
    assert client.get(f"/creative/entries/{entry.id}/edit").status_code == 403


def test_member_cannot_remove_themselves_but_can_change_teammate(world):
    entry = svc.create_entry(world.an, world.d2, FIELDS, "binh")
    with pytest.raises(svc.EntryError):
        svc.update_entry(world.an, entry, {}, members=["binh"], partial=True)
    svc.update_entry(world.an, entry, {}, members=["an", "chi"], partial=True)
    assert [m.user.username for m in entry.members] == ["an", "chi"]
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "creative.entry.update")).all()[-1]
    assert log.details["members_before"] == ["an", "binh"] and log.details["members_after"] == ["an", "chi"]


# -- deadline ----------------------------------------------------------------------------------------
def _close(division):
    svc.settings_for(division).deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()


def test_deadline_locks_entries_for_members_not_organisers(world, client):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    pdf = svc.add_files(world.an, entry, [staged(world.d2, "description", PDF, "tm.pdf")])[0]
    _close(world.d2)
    assert svc.is_locked(world.d2)
    with pytest.raises(svc.EntryError) as e:
        svc.update_entry(world.an, entry, {"title": "Mới"}, partial=True)
    assert e.value.status == 403 and "hết hạn nộp" in e.value.message
    with pytest.raises(svc.EntryError):
        svc.add_files(world.an, entry, [staged(world.d2, "image", PNG, "a.png")])
    assert len(store_files(client.application)) == 1  # only the PDF; the refused image is not kept
    with pytest.raises(svc.EntryError):
        svc.delete_file(world.an, pdf)
    with pytest.raises(svc.EntryError):
        svc.create_entry(world.binh, world.d2, FIELDS)
    # pages
    client.login("an")
    r = client.post_form(f"/creative/entries/{entry.id}/edit", {**FIELDS, "declared_not_awarded": "y"},
                         form_url=f"/creative/entries/{entry.id}", follow_redirects=True)
    assert "hết hạn nộp" in r.get_data(as_text=True)
    r = client.post_form(f"/creative/entries/{entry.id}/files",
                         {"kind": "image", "file": (io.BytesIO(PNG), "a.png")},
                         form_url=f"/creative/entries/{entry.id}", follow_redirects=True)
    assert "hết hạn nộp" in r.get_data(as_text=True)
    page = client.get(f"/creative/entries/{entry.id}").get_data(as_text=True)
    assert "Đã khoá từ" in page and "upload-form" not in page
    db.session.refresh(entry)
    assert entry.title == FIELDS["title"] and len(entry.files) == 1
    # organisers still correct an entry (audited)
    svc.update_entry(world.btc, entry, {"title": "Sửa bởi BTC"}, partial=True)
    assert entry.title == "Sửa bởi BTC"


def test_deadline_defaults_to_contest_end(world):
    assert svc.deadline_of(world.d2) == world.contest.end_at
    world.contest.end_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert svc.is_locked(world.d2)


# -- uploads -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind, data, name, code", [
    ("description", EXE, "bao_cao.pdf", "not_pdf"),
    ("image", PDF, "anh.png", "not_image"),
    ("product", EXE, "sp.zip", "not_zip"),
    ("product", b"PK\x03\x04garbage", "sp.zip", "bad_zip"),
    ("product", make_zip({"../../etc/cron.d/x": b"x"}), "sp.zip", "zip_parent_path"),
    ("product", make_zip({"a/../../b": b"x"}), "sp.zip", "zip_parent_path"),
    ("product", make_zip({"/etc/passwd": b"x"}), "sp.zip", "zip_absolute_path"),
    ("product", make_zip({"C:/Windows/x.dll": b"x"}), "sp.zip", "zip_absolute_path"),
    ("product", make_zip({"..\\..\\win.ini": b"x"}), "sp.zip", "zip_parent_path"),
    ("product", make_zip({"ok.txt": b"x"}, symlinks={"link": "/etc/shadow"}), "sp.zip", "zip_symlink"),
    ("sb3", GOOD_ZIP, "game.sb3", "sb3_no_project"),
    ("description", b"", "rong.pdf", "empty"),
], ids=["exe-as-pdf", "pdf-as-png", "exe-as-zip", "corrupt-zip", "zip-dotdot", "zip-inner-dotdot", "zip-absolute",
        "zip-drive", "zip-backslash-dotdot", "zip-symlink", "sb3-without-project", "empty"])
def test_uploads_are_checked_by_content(world, tmp_path, kind, data, name, code):
    store = tmp_path / "store"
    with pytest.raises(uploads.UploadRefused) as e:
        uploads.stage(io.BytesIO(data), kind, name, store, 10 * 1024 * 1024)
    assert e.value.code == code
    assert list(store.iterdir()) == []  # the temporary file is gone
    # and the web layer turns the code into a message naming the file
    with pytest.raises(svc.EntryError) as e2:
        staged(world.d2, kind, data, name)
    assert e2.value.message.startswith(uploads.safe_filename(name) + ": ")


def test_zip_member_count_and_declared_size_are_bounded(world, tmp_path, monkeypatch):
    tmp_path = tmp_path / "store"
    monkeypatch.setattr(uploads, "ZIP_MAX_MEMBERS", 3)
    with pytest.raises(uploads.UploadRefused) as e:
        uploads.stage(io.BytesIO(make_zip({f"f{i}": b"x" for i in range(4)})), "product", "a.zip", tmp_path, 10**7)
    assert e.value.code == "zip_too_many" and e.value.params == {"count": 4, "limit": 3}
    monkeypatch.setattr(uploads, "ZIP_MAX_UNCOMPRESSED", 1000)
    bomb = make_zip({"zeros": b"\x00" * 1001})
    with pytest.raises(uploads.UploadRefused) as e:
        uploads.stage(io.BytesIO(bomb), "product", "a.zip", tmp_path, 10**7)
    assert e.value.code == "zip_too_big" and e.value.params["size"] == 1001


def test_good_files_of_every_kind_are_stored_under_random_names(world, app):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    files = svc.add_files(world.an, entry, [
        staged(world.d2, "description", PDF, "thuyet_minh.pdf"),
        staged(world.d2, "product", GOOD_ZIP, "san_pham.zip"),
        staged(world.d2, "sb3", SB3, "tro_choi.sb3"),
        staged(world.d2, "image", PNG, "anh.png"),
        staged(world.d2, "image", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "anh2.jpg"),
    ])
    assert [f.kind for f in files] == ["description", "product", "sb3", "image", "image"]
    names = store_files(app)
    assert sorted(f.stored_name for f in files) == names
    assert all(len(n) == 32 and all(c in "0123456789abcdef" for c in n) for n in names)
    assert not app.config["CREATIVE_DIR"].startswith(app.static_folder)
    assert svc.file_path(files[0]).read_bytes() == PDF
    assert svc.completeness(entry).complete


def test_too_large_per_file_and_per_entry(world, app):
    s = svc.settings_for(world.d2)
    s.max_file_mb, s.max_entry_mb = 1, 1
    db.session.commit()
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    big = PDF + b"0" * (svc.MIB + 1 - len(PDF))
    with pytest.raises(svc.EntryError) as e:
        staged(world.d2, "description", big, "to.pdf")
    assert "lớn quá 1 MiB" in e.value.message
    half = PDF + b"0" * (600 * 1024)
    svc.add_files(world.an, entry, [staged(world.d2, "description", half, "a.pdf")])
    with pytest.raises(svc.EntryError) as e:
        svc.add_files(world.an, entry, [staged(world.d2, "description", half, "b.pdf")])
    assert "quá giới hạn 1 MiB" in e.value.message
    assert len(store_files(app)) == 1
    assert db.session.scalar(select(func.count(EntryFile.id))) == 1


@pytest.mark.parametrize("given, stored, offered", [
    ("../../etc/passwd", "passwd", "passwd.pdf"),
    ("..\\..\\windows\\system32\\a.pdf", "a.pdf", "a.pdf"),
    ("a\x00b.pdf", "ab.pdf", "ab.pdf"),
    ("Báo cáo dự án Tiếng Việt.pdf", "Báo cáo dự án Tiếng Việt.pdf", "Báo cáo dự án Tiếng Việt.pdf"),
    ('x"; filename="evil.html.pdf', "x__ filename=_evil.html.pdf", "x__ filename=_evil.html.pdf"),
    ("...", "tep", "tep.pdf"),
    ("mal.exe", "mal.exe", "mal.exe.pdf"),
], ids=["dotdot-passwd", "backslashes", "nul", "vietnamese", "quotes", "dots-only", "wrong-extension"])
def test_hostile_file_names(world, app, client, given, stored, offered):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    f = svc.add_files(world.an, entry, [staged(world.d2, "description", PDF, given)])[0]
    assert f.original_name == stored
    assert "/" not in f.stored_name and ".." not in f.stored_name
    client.login("an")
    r = client.get(f"/creative/entries/{entry.id}/files/{f.id}")
    assert r.status_code == 200 and r.data == PDF
    r.close()
    kind, opts = parse_options_header(r.headers["Content-Disposition"])
    assert kind == "attachment"
    assert opts["filename"] == offered


def test_very_long_name_is_cut_keeping_the_extension(world):
    name = "Sản phẩm " + "rất dài " * 60 + ".pdf"
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    f = svc.add_files(world.an, entry, [staged(world.d2, "description", PDF, name)])[0]
    assert len(f.original_name) == uploads.MAX_NAME_CHARS and f.original_name.endswith(".pdf")
    assert f.original_name.startswith("Sản phẩm rất dài")


def test_upload_page_refuses_renamed_exe_with_a_clear_message(world, client, app):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    client.login("an")
    page = f"/creative/entries/{entry.id}"
    r = client.post_form(f"{page}/files", {"kind": "description", "file": (io.BytesIO(EXE), "bao_cao.pdf")},
                         form_url=page, follow_redirects=True)
    assert "bao_cao.pdf: Bản thuyết minh phải là tệp PDF thật" in r.get_data(as_text=True)
    assert store_files(app) == [] and db.session.scalar(select(func.count(EntryFile.id))) == 0
    r = client.post_form(f"{page}/files", {"kind": "description", "file": (io.BytesIO(PDF), "Thuyết minh.pdf")},
                         form_url=page, follow_redirects=True)
    assert "Đã tải lên Thuyết minh.pdf" in r.get_data(as_text=True)
    assert len(store_files(app)) == 1
    # a file upload without the CSRF token is refused
    r = client.post(f"{page}/files", data={"kind": "image", "file": (io.BytesIO(PNG), "a.png")})
    assert r.status_code == 400 and len(store_files(app)) == 1


def test_member_deletes_a_file_before_the_deadline(world, client, app):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    f = svc.add_files(world.an, entry, [staged(world.d2, "image", PNG, "a.png")])[0]
    client.login("an")
    r = client.post_form(f"/creative/entries/{entry.id}/files/{f.id}/delete", {}, form_url=f"/creative/entries/{entry.id}")
    assert r.status_code == 302
    assert store_files(app) == [] and db.session.scalar(select(func.count(EntryFile.id))) == 0
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "creative.file.delete")) == 1


def test_failed_commit_leaves_no_orphan_file(world, app, monkeypatch):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    s = staged(world.d2, "description", PDF, "a.pdf")
    assert len(store_files(app)) == 1  # the staged temp file

    def boom():
        raise RuntimeError("database went away")

    monkeypatch.setattr(db.session, "commit", boom)
    with pytest.raises(RuntimeError):
        svc.add_files(world.an, entry, [s])
    monkeypatch.undo()
    assert store_files(app) == []
    assert db.session.scalar(select(func.count(EntryFile.id))) == 0
    # creating an entry with files is all or nothing too
    s = staged(world.d2, "description", PDF, "b.pdf")
    monkeypatch.setattr(db.session, "commit", boom)
    with pytest.raises(RuntimeError):
        svc.create_entry(world.binh, world.d2, FIELDS, staged=[s])
    monkeypatch.undo()
    assert store_files(app) == []
    assert db.session.scalar(select(func.count(CreativeEntry.id))) == 1


# -- downloads ---------------------------------------------------------------------------------------
def test_download_permissions_and_headers(world, client):
    entry = svc.create_entry(world.an, world.d2, FIELDS, "binh")
    f = svc.add_files(world.an, entry, [staged(world.d2, "description", PDF, "tm.pdf")])[0]
    db.session.add(JudgeAssignment(entry_id=entry.id, judge_id=world.gk1.id, round=2))
    db.session.commit()
    url = f"/creative/entries/{entry.id}/files/{f.id}"
    expected = {"an": 200, "binh": 200, "gk1": 200, "btc": 200, "gk2": 403, "chi": 403}
    for username, status in expected.items():
        client.login(username)
        r = client.get(url)
        assert r.status_code == status, username
        if status == 200:
            assert r.data == PDF
            assert r.headers["Content-Disposition"].startswith("attachment;")
            assert r.headers["Content-Type"] == "application/octet-stream"
            assert r.headers["X-Content-Type-Options"] == "nosniff"
        r.close()
        client.post_form("/auth/logout", {}, form_url="/")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    # a file of another entry under this entry's URL is not found
    other = svc.create_entry(world.chi, world.d2, FIELDS)
    g = svc.add_files(world.chi, other, [staged(world.d2, "image", PNG, "x.png")])[0]
    client.login("an")
    assert client.get(f"/creative/entries/{entry.id}/files/{g.id}").status_code == 404


# -- organiser list and student result --------------------------------------------------------------
def test_organiser_list_shows_members_schools_files_completeness(world, client):
    e1 = svc.create_entry(world.an, world.d2, FIELDS, "binh")
    svc.add_files(world.an, e1, [staged(world.d2, "description", PDF, "a.pdf"), staged(world.d2, "sb3", SB3, "g.sb3")])
    svc.create_entry(world.chi, world.d2, {**FIELDS, "title": "Trò chơi toán", "summary": ""})
    client.login("btc")
    html = client.get(f"/creative/divisions/{world.d2.id}/entries").get_data(as_text=True)
    assert "Ứng dụng học từ vựng" in html and "Trò chơi toán" in html
    assert "Nguyễn Văn An (an)" in html and "Trần Thị Bình (binh)" in html and "Trường THCS Test" in html
    assert "Bản thuyết minh (PDF)" in html and "Dự án Scratch (.sb3)" in html
    assert html.count(">Đủ<") == 1 and "Thiếu: tóm tắt, bản thuyết minh (PDF), sản phẩm" in html
    assert "Cô Hoa" in html and "2 bài, 1 bài đủ hồ sơ" in html
    manage = client.get(f"/contests/{world.contest.id}/manage").get_data(as_text=True)
    assert f"/creative/divisions/{world.d2.id}/entries" in manage and f"/creative/divisions/{world.b.id}/entries" not in manage
    hub = client.get("/creative/").get_data(as_text=True)
    assert f"/creative/divisions/{world.d2.id}/entries" in hub and f"/creative/divisions/{world.d3.id}/settings" in hub


def test_score_is_shown_to_students_only_after_publishing(world, client, monkeypatch):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    rows = [{"entry_id": entry.id, "title": entry.title, "members": ["an"], "member_ids": [world.an.id],
             "score": 87.25, "round1_score": 87.25, "round2_score": None, "rank": 1, "judges": 3, "flagged": False}]
    monkeypatch.setattr("webapp.services.creative_ranking.division_ranking", lambda division_id: rows)
    client.login("an")
    page = client.get(f"/creative/entries/{entry.id}").get_data(as_text=True)
    assert "87.25" not in page and "entry-result" not in page
    assert svc.published_result(entry) is None
    db.session.add(DivisionResult(division_id=world.d2.id, state="locked"))
    db.session.commit()
    assert "87.25" not in client.get(f"/creative/entries/{entry.id}").get_data(as_text=True)
    result = db.session.scalars(select(DivisionResult)).one()
    # the published rows, not the live ranking: they hold adjustments and appeals (here 87.25 -> 90)
    result.state, result.snapshot = "published", [{"entrant": f"entry:{entry.id}", "score": 90.0, "rank": 1,
                                                   "award": "first"}]
    db.session.commit()
    page = client.get(f"/creative/entries/{entry.id}").get_data(as_text=True)
    assert "90.00 điểm, hạng 1 — giải Nhất" in page and "87.25" not in page
    # the API gives the same, with the fields its OpenAPI document names
    body = api(client, "an")("GET", f"/api/v1/creative/entries/{entry.id}").get_json()
    assert body["result"] == {"score": 90.0, "rank": 1, "award": "first"}
    from webapp.api.openapi import build_document

    documented = build_document()["components"]["schemas"]["CreativeEntry"]["properties"]["result"]["properties"]
    assert set(documented) == set(body["result"])


# -- API ---------------------------------------------------------------------------------------------
def api(client, username: str):
    """(method, path, **kw) -> response, authenticated with a fresh token of username."""
    r = client.post("/api/v1/token", json={"username": username, "password": "secret123"})
    assert r.status_code == 201, r.get_json()
    headers = {"Authorization": f"Bearer {r.get_json()['token']}"}

    def call(method: str, path: str, **kw):
        return client.open(path, method=method, headers={**headers, **kw.pop("headers", {})}, **kw)

    return call


API_FIELDS = {k: v for k, v in FIELDS.items() if not k.startswith("mentor_")}
API_FIELDS["mentor"] = {"name": "Thầy Nam", "school": "THCS Lê Lợi", "phone": "0912345678"}


def test_api_create_json_then_patch_put_and_list(world, client):
    an = api(client, "an")
    r = an("POST", "/api/v1/creative/entries", json={**API_FIELDS, "contest_id": world.contest.id, "division": "d2",
                                                    "teammates": ["binh"]})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["division"] == "D2" and [m["username"] for m in body["members"]] == ["an", "binh"]
    assert body["mentor"] == {"name": "Thầy Nam", "school": "THCS Lê Lợi", "phone": "0912345678"}
    assert body["complete"] is False and body["missing"] == ["description", "product"]
    assert body["locked"] is False and body["editable"] is True and body["result"] is None
    entry_id = body["id"]
    assert r.headers["Location"].endswith(f"/api/v1/creative/entries/{entry_id}")
    binh = api(client, "binh")
    r = binh("PATCH", f"/api/v1/creative/entries/{entry_id}", json={"summary": "Bản mới", "category": "web"})
    assert r.status_code == 200 and r.get_json()["summary"] == "Bản mới" and r.get_json()["title"] == FIELDS["title"]
    # PUT needs every required field
    r = binh("PUT", f"/api/v1/creative/entries/{entry_id}", json={"summary": "x"})
    assert r.status_code == 422 and "tên sản phẩm" in r.get_json()["error"] and "(field: title)" in r.get_json()["error"]
    r = binh("PUT", f"/api/v1/creative/entries/{entry_id}", json={"title": "Tên mới", "declared_not_awarded": True,
                                                                 "teammates": "an"})
    assert r.status_code == 200 and r.get_json()["summary"] == "" and r.get_json()["category"] == "software"
    assert [m["username"] for m in r.get_json()["members"]] == ["an", "binh"]
    assert r.get_json()["mentor"] == {"name": "", "school": "", "phone": ""}
    r = an("GET", "/api/v1/creative/entries")
    assert [e["title"] for e in r.get_json()["entries"]] == ["Tên mới"]
    assert an("GET", f"/api/v1/creative/entries/{entry_id}").status_code == 200
    chi = api(client, "chi")
    assert chi("GET", "/api/v1/creative/entries").get_json() == {"entries": []}
    assert chi("GET", f"/api/v1/creative/entries/{entry_id}").status_code == 403
    r = chi("PATCH", f"/api/v1/creative/entries/{entry_id}", json={"title": "Của tôi"})
    assert r.status_code == 403
    btc = api(client, "btc")
    r = btc("GET", f"/api/v1/creative/entries?division_id={world.d2.id}")
    assert [e["id"] for e in r.get_json()["entries"]] == [entry_id]


def test_api_errors_are_clear(world, client):
    an = api(client, "an")
    r = an("POST", "/api/v1/creative/entries", json={**API_FIELDS})
    assert r.status_code == 422 and "division_id" in r.get_json()["error"]
    r = an("POST", "/api/v1/creative/entries", json={**API_FIELDS, "division_id": world.d2.id, "teammates": ["khongco"]})
    assert r.status_code == 422 and "Không có tài khoản “khongco”" in r.get_json()["error"]
    r = an("POST", "/api/v1/creative/entries", json={**API_FIELDS, "division_id": world.d2.id, "video_url": "file:///etc/passwd"})
    assert r.status_code == 422 and "video_url" in r.get_json()["error"]
    r = an("POST", "/api/v1/creative/entries", data="not json", content_type="application/json")
    assert r.status_code == 400
    r = an("POST", "/api/v1/creative/entries", json={**API_FIELDS, "division_id": 9999})
    assert r.status_code == 404
    r = an("DELETE", "/api/v1/creative/entries/1")
    assert r.status_code == 405 and set(r.headers["Allow"].split(", ")) == {"GET", "PATCH", "PUT"}
    assert db.session.scalar(select(func.count(CreativeEntry.id))) == 0


def test_api_multipart_create_with_files_is_all_or_nothing(world, client, app):
    an = api(client, "an")
    form = {**{k: str(v) for k, v in FIELDS.items()}, "division_id": str(world.d2.id), "teammates": "binh"}
    bad = {**form, "description": (io.BytesIO(PDF), "tm.pdf"), "product": (io.BytesIO(make_zip({"../x": b"1"})), "sp.zip")}
    r = an("POST", "/api/v1/creative/entries", data=bad, content_type="multipart/form-data")
    assert r.status_code == 422 and "../x" in r.get_json()["error"] and "(field: product)" in r.get_json()["error"]
    assert store_files(app) == [] and db.session.scalar(select(func.count(CreativeEntry.id))) == 0
    assert db.session.scalar(select(func.count(Participation.id))) == 0
    good = {**form, "description": (io.BytesIO(PDF), "Thuyết minh.pdf"), "sb3": (io.BytesIO(SB3), "game.sb3")}
    r = an("POST", "/api/v1/creative/entries", data=good, content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["complete"] is True and {f["kind"] for f in body["files"]} == {"description", "sb3"}
    assert len(store_files(app)) == 2


def test_api_upload_download_and_deadline(world, client, app):
    entry = svc.create_entry(world.an, world.d2, FIELDS, "binh")
    an = api(client, "an")
    url = f"/api/v1/creative/entries/{entry.id}/files"
    r = an("POST", url, data={"description": (io.BytesIO(EXE), "a.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "PDF" in r.get_json()["error"]
    r = an("POST", url, data={"description": (io.BytesIO(PDF), "a.pdf"), "image": [(io.BytesIO(PNG), "1.png"),
                                                                                   (io.BytesIO(PNG), "2.png")]},
           content_type="multipart/form-data")
    assert r.status_code == 201, r.get_json()
    files = r.get_json()["files"]
    assert [f["kind"] for f in files] == ["description", "image", "image"]
    r = an("POST", url, data={"video": (io.BytesIO(PNG), "1.png")}, content_type="multipart/form-data")
    assert r.status_code == 422 and "Unknown file field" in r.get_json()["error"]
    r = an("POST", url, json={"description": "x"})
    assert r.status_code == 415
    r = an("GET", files[0]["url"])
    assert r.status_code == 200 and r.data == PDF
    assert r.headers["Content-Disposition"].startswith("attachment;") and r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()
    db.session.add(JudgeAssignment(entry_id=entry.id, judge_id=world.gk1.id))
    db.session.commit()
    for username, status in (("gk1", 200), ("gk2", 403), ("chi", 403), ("btc", 200)):
        r = api(client, username)("GET", files[0]["url"])
        assert r.status_code == status, username
        r.close()
    # a team replaces a wrong file: DELETE (others may not; a judge lists assigned entries elsewhere)
    wrong = files[2]
    assert api(client, "chi")("DELETE", wrong["url"]).status_code == 403
    assert api(client, "gk1")("DELETE", wrong["url"]).status_code == 403
    assert an("DELETE", f"/api/v1/creative/entries/{entry.id}/files/999999").status_code == 404
    assert an("DELETE", wrong["url"]).status_code == 204
    assert [f.kind for f in db.session.get(CreativeEntry, entry.id).files] == ["description", "image"]
    assert len(store_files(app)) == 2
    r = api(client, "gk1")("GET", "/api/v1/creative/entries")
    assert r.status_code == 403 and "/api/v1/creative/assigned" in r.get_json()["error"]
    # after the deadline: members are refused with the reason, on update and upload
    _close(world.d2)
    r = an("DELETE", files[1]["url"])
    assert r.status_code == 403 and "hết hạn nộp" in r.get_json()["error"]
    r = an("PATCH", f"/api/v1/creative/entries/{entry.id}", json={"title": "Muộn"})
    assert r.status_code == 403 and "hết hạn nộp" in r.get_json()["error"]
    r = an("POST", url, data={"image": (io.BytesIO(PNG), "3.png")}, content_type="multipart/form-data")
    assert r.status_code == 403 and "hết hạn nộp" in r.get_json()["error"]
    r = api(client, "chi")("POST", "/api/v1/creative/entries", json={**API_FIELDS, "division_id": world.d2.id})
    assert r.status_code == 403 and "hết hạn nộp" in r.get_json()["error"]
    assert an("GET", "/api/v1/creative/entries").get_json()["entries"][0]["locked"] is True
    assert len(store_files(app)) == 2


def test_request_size_follows_the_division_limits_not_the_site_default(world, client, app):
    """The site caps requests at 16 MiB; a creative upload may carry up to max_entry_mb + 1 MiB."""
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    client.login("an")
    page = f"/creative/entries/{entry.id}"
    big = PDF + b"0" * (17 * svc.MIB)
    r = client.post_form(f"{page}/files", {"kind": "description", "file": (io.BytesIO(big), "lon.pdf")},
                         form_url=page, follow_redirects=True)
    assert "Đã tải lên lon.pdf" in r.get_data(as_text=True)
    s = svc.settings_for(world.d2)
    s.max_file_mb, s.max_entry_mb = 1, 1
    db.session.commit()
    # bodies encoded in memory: the test client's spooled temp file is never closed when the app refuses
    # to read the body (a ResourceWarning, not our leak)
    too_big = PDF + b"0" * (3 * svc.MIB)
    boundary, body = encode_multipart({"kind": "description", "csrf_token": client.csrf_token(page),
                                       "file": FileStorage(io.BytesIO(too_big), "x.pdf")})
    r = client.post(f"{page}/files", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 413
    boundary, body = encode_multipart({"description": FileStorage(io.BytesIO(too_big), "x.pdf")})
    r = api(client, "an")("POST", f"/api/v1/creative/entries/{entry.id}/files", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert r.status_code == 413 and "error" in r.get_json()
    assert len(store_files(app)) == 1


def test_sweep_store_removes_only_old_leftovers(world, app):
    entry = svc.create_entry(world.an, world.d2, FIELDS)
    kept = svc.add_files(world.an, entry, [staged(world.d2, "image", PNG, "a.png")])[0]
    root = svc.store_dir()
    (root / ".upload-dead.part").write_bytes(b"half")
    (root / ("0" * 32)).write_bytes(b"placed but never committed")
    young = staged(world.d2, "image", PNG, "b.png")  # an upload in progress
    old = time.time() - 7 * 3600
    for name in (".upload-dead.part", "0" * 32, kept.stored_name):
        os.utime(root / name, (old, old))
    assert svc.sweep_store() == [".upload-dead.part", "0" * 32]
    assert sorted(store_files(app)) == sorted([kept.stored_name, young.temp_path.name])


def test_organiser_edits_an_entry_after_the_deadline_on_the_page(world, client):
    entry = svc.create_entry(world.an, world.d2, FIELDS, "binh")
    _close(world.d2)
    client.login("btc")
    page = client.get(f"/creative/entries/{entry.id}/edit").get_data(as_text=True)
    assert 'value="an, binh"' in page  # organisers see and set the whole member list
    r = client.post_form(f"/creative/entries/{entry.id}/edit", {**FIELDS, "declared_not_awarded": "y",
                                                                "teammates": "an, chi"})
    assert r.status_code == 302
    db.session.refresh(entry)
    assert [m.user.username for m in entry.members] == ["an", "chi"]
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "creative.entry.update")).one()
    assert log.user_id == world.btc.id and log.details["members_before"] == ["an", "binh"]
