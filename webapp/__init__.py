"""Tin học trẻ contest site. `create_app(config)` builds the Flask app (the app-factory pattern)."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context, render_template, session
from flask_babel import get_locale

from .config import Config
from .extensions import babel, csrf, db, login_manager, migrate


def _select_locale() -> str:
    """The language chosen with /lang/<code> (kept in the session); Vietnamese by default."""
    if not has_request_context():
        return "vi"
    lang = session.get("lang")
    if lang in ("vi", "en"):
        return lang
    return "vi"


def create_app(config: object | dict | None = None) -> Flask:
    """Create the app. `config` is a class/object with upper-case attributes or a dict of overrides."""
    app = Flask(__name__, instance_relative_config=True)
    from .input_guards import reject_ids_out_of_range, reject_nul_bytes

    app.url_value_preprocessor(reject_ids_out_of_range)  # ids beyond the database's range are 404s
    app.before_request(reject_nul_bytes)  # text PostgreSQL cannot store is a 400, not a 500
    app.config.update(Config.load(app.instance_path))
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)

    db.init_app(app)
    from .database import init_database

    init_database(app)  # SQLite WAL + busy timeout, PostgreSQL lock_timeout, 503 when still busy
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)

    @app.before_request
    def _fresh_locale():
        # Flask-Babel caches the locale on the app context; a context shared by several requests
        # (tests, CLI) must not keep the previous request's language.
        from flask_babel import refresh

        refresh()

    from . import models  # noqa: F401  (register tables)

    @login_manager.user_loader
    def load_user(user_id: str):
        return db.session.get(models.User, int(user_id))

    from .api import bp as api_bp
    from .auth import bp as auth_bp
    from .contests import bp as contests_bp
    from .creative import bp as creative_bp
    from .main import bp as main_bp
    from .results import bp as results_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(contests_bp)
    app.register_blueprint(creative_bp)
    app.register_blueprint(results_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # token-authenticated JSON; the session cookie does not log in to the API

    from .cli import register_cli

    register_cli(app)
    from .creative.cli import creative_cli
    from .results.cli import results_cli

    app.cli.add_command(creative_cli)
    app.cli.add_command(results_cli)

    tz = ZoneInfo(app.config["TIMEZONE"])

    @app.template_filter("localtime")
    def localtime(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        """A naive-UTC datetime shown in the contest's time zone (Asia/Ho_Chi_Minh)."""
        if value is None:
            return ""
        return value.replace(tzinfo=timezone.utc).astimezone(tz).strftime(fmt)

    @app.context_processor
    def inject():
        from .nav import nav_items

        return {
            "current_locale": str(get_locale()),
            "LANGUAGES": app.config["LANGUAGES"],
            "nav_items": nav_items,
            "has_endpoint": lambda e: e in app.view_functions,
        }

    @app.errorhandler(403)
    def forbidden(e):
        return render_template("errors/error.html", code=403, error=e), 403

    @app.errorhandler(404)
    def not_found(e):
        return render_template("errors/error.html", code=404, error=e), 404

    @app.errorhandler(413)
    def too_large(e):
        return render_template("errors/error.html", code=413, error=e), 413

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render_template("errors/error.html", code=400, error=e), 400

    return app
