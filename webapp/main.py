"""Home page and language switch."""
from flask import Blueprint, redirect, render_template, request, session, url_for
from sqlalchemy import select

from .extensions import db
from .models import Contest

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    contests = db.session.scalars(select(Contest).order_by(Contest.start_at.desc())).all()
    return render_template("index.html", contests=contests)


@bp.route("/lang/<code>")
def set_language(code: str):
    if code in ("vi", "en"):
        session["lang"] = code
    target = request.referrer or ""
    if not target.startswith(request.host_url):  # never redirect off-site
        target = url_for("main.index")
    return redirect(target)


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
