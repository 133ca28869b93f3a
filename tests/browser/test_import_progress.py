"""The bulk import in Chromium: the file is accepted, the progress page polls the job (and says when no
worker listens on the tasks queue), and the credentials list opens by itself when the job is done."""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from tests.webapp.test_import import rows, xlsx
from webapp.extensions import db
from webapp.models import User
from webapp.services.users import create_user

from .test_contest_flow import login

pytestmark = pytest.mark.browser


def test_import_progress_then_credentials_in_the_browser(live_server, page, tmp_path):
    app = live_server.app
    app.config["TASKS_QUEUE"] = f"tasks-test-{uuid.uuid4().hex[:8]}"
    create_user("btc", "secret123", "organiser")
    db.session.commit()
    login(page, "btc")
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(xlsx(rows(60)))
    page.goto("/auth/import")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Nhập danh sách").click()

    expect(page).to_have_url(re.compile(r"/auth/import/[0-9a-f]+$"))
    progress_url = page.url
    expect(page.locator("#import-progress progress")).to_be_visible()
    expect(page.locator("[data-field=state]")).to_have_text("đang chờ")
    expect(page.locator("[data-field=no_worker]")).to_be_visible()  # nobody listens on the queue yet

    from webapp.services.student_import import tasks_queue

    conn = tasks_queue().connection
    SimpleWorker([Queue(app.config["TASKS_QUEUE"], connection=conn)], connection=conn).work(burst=True, with_scheduler=False)

    expect(page).to_have_url(progress_url + "/result")  # opened by the page itself
    expect(page.get_by_role("heading", name="Đã nhập 60 thí sinh")).to_be_visible()
    expect(page.locator("table.table tbody tr")).to_have_count(60)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(User.id)).where(User.role == "student")) == 60
