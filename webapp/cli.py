"""Command-line tools: `flask --app webapp create-user ...`, `flask --app webapp demo`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db
from .models import LEVEL_ORDER, Role, User
from .services.accounts import USERNAME_RE, check_grade, parse_level
from .services.users import create_user, find_or_create_school, username_taken


def register_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--password", required=True, help="Password of the new account.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default="student", show_default=True)
    @click.option("--level", type=click.Choice([lvl.value for lvl in LEVEL_ORDER]), help="School level (students).")
    @click.option("--grade", type=int, help="Grade 1-12, must belong to --level.")
    @click.option("--full-name", default="", help="Full name (Vietnamese diacritics welcome).")
    @click.option("--school", default="", help="School name.")
    def create_user_cmd(username, password, role, level, grade, full_name, school):
        """Create an account."""
        username = username.strip().lower()
        if not USERNAME_RE.match(username):
            raise click.UsageError(f"username {username!r}: use 3-64 of a-z 0-9 _ . -")
        if username_taken(username):
            raise click.UsageError(f"username {username!r} already exists")
        if len(password) < 6:
            raise click.UsageError("--password: at least 6 characters")
        if role == "student":
            if not level or grade is None:
                raise click.UsageError("a student needs --level and --grade")
            msg = check_grade(parse_level(level), grade)
            if msg:
                raise click.UsageError(f"--grade {grade}: {msg}")
        fields = {"full_name": full_name, "school_level": level, "grade": grade}
        if school:
            fields["school"] = find_or_create_school(school)
        user = create_user(username, password, role, **fields)
        db.session.commit()
        click.echo(f"created {role} {user.username} (id {user.id})")

    @app.cli.command("demo")
    def demo_cmd():
        """Load the demo contest and demo accounts (safe to run twice)."""
        from .services.demo import load_demo

        for line in load_demo():
            click.echo(line)
