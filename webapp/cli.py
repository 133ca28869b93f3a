"""Command-line tools: `flask --app webapp create-user ...`, `flask --app webapp demo`."""
from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db
from .models import LEVEL_ORDER, Role
from .services.accounts import USERNAME_RE, check_grade, parse_level
from .services.users import create_user, find_or_create_school, username_taken


def contest_or_usage_error(contest_id: int):
    """The contest of a --contest option, or a usage error naming the option."""
    from .models import Contest

    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise click.UsageError(f"--contest {contest_id}: no such contest")
    return contest


def division_or_usage_error(contest_id: int, code: str):
    """The division of --contest ID --division CODE, or a usage error listing the contest's divisions."""
    from .models import Division

    contest = contest_or_usage_error(contest_id)
    division = db.session.scalar(select(Division).where(Division.contest_id == contest_id, Division.code == code))
    if division is None:
        codes = ", ".join(d.code for d in contest.divisions) or "none"
        raise click.UsageError(f"--division {code}: not in contest {contest_id} (divisions: {codes})")
    return division


def register_cli(app: Flask) -> None:
    register_contest_cli(app)

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--password", required=True, help="Password of the new account.")
    @click.option("--role", type=click.Choice([r.value for r in Role]), default="student", show_default=True)
    @click.option("--level", type=click.Choice([lvl.value for lvl in LEVEL_ORDER]), help="School level (students).")
    @click.option("--grade", type=int, help="Grade 1-12, must belong to --level.")
    @click.option("--full-name", default="", help="Full name (Vietnamese diacritics welcome).")
    @click.option("--school", default="", help="School name.")
    @click.option("--unit", default="", help="Unit: district or youth-union branch (judges: used for conflicts of interest).")
    def create_user_cmd(username, password, role, level, grade, full_name, school, unit):
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
        fields = {"full_name": full_name, "school_level": level, "grade": grade, "unit": " ".join(unit.split())}
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


def register_contest_cli(app: Flask) -> None:
    @app.cli.command("import-problem")
    @click.option("--contest", "contest_id", type=int, required=True, help="Contest id.")
    @click.option("--division", "division_code", required=True, help="Division code, e.g. B.")
    @click.option("--publish/--no-publish", default=True, show_default=True)
    @click.argument("path", type=click.Path(exists=True))
    def import_problem_cmd(contest_id, division_code, publish, path):
        """Import a problem package (folder or zip, any supported format); prints the problem id."""
        from judge.problem import ProblemError

        from .services.problem_import import import_problem

        division = division_or_usage_error(contest_id, division_code)
        try:
            problem = import_problem(division, path, publish=publish)
        except ProblemError as exc:
            raise click.ClickException(str(exc))
        click.echo(problem.id)

    @app.cli.command("store-packages")
    def store_packages_cmd():
        """Store by content (database, sha256) the packages of problems imported before that existed, so
        that workers on other hosts can fetch them. Run once on the host that holds their folders."""
        from .services.packages import store_legacy_packages

        result = store_legacy_packages()
        for problem_id, status in result.items():
            click.echo(f"problem {problem_id}: {status}")
        if "missing" in result.values():
            raise click.ClickException("some packages were not found on this host (see above)")

    @app.cli.command("rejudge")
    @click.option("--submission", "submission_ids", type=int, multiple=True, help="A submission id (repeatable).")
    @click.option("--problem", "problem_id", type=int, help="Every submission of a problem.")
    @click.option("--contest", "contest_id", type=int, help="Every submission of a contest.")
    def rejudge_cmd(submission_ids, problem_id, contest_id):
        """Re-judge submissions: given ids, a whole problem, or a whole contest."""
        from .models import Submission
        from .services.submissions import contest_submissions, rejudge

        query = select(Submission)
        if submission_ids:
            query = query.where(Submission.id.in_(submission_ids))
        elif problem_id:
            query = query.where(Submission.problem_id == problem_id)
        elif contest_id:
            query = contest_submissions(contest_id, query)
        else:
            raise click.UsageError("give --submission ID, --problem ID or --contest ID")
        subs = db.session.scalars(query.order_by(Submission.id)).all()
        if not subs:
            raise click.ClickException("no submission matches")
        click.echo(f"re-judging {rejudge(subs, None, reason='cli')} submission(s)")

    @app.cli.command("sweeper")
    @click.option("--interval", type=float, default=10.0, show_default=True, help="Seconds between sweeps.")
    @click.option("--once", is_flag=True, help="Sweep once and exit.")
    def sweeper_cmd(interval, once):
        """Re-queue submissions lost by a dead worker or a restarted Redis."""
        import time

        from .services.submissions import sweep
        from .worker import Backoff

        backoff = Backoff(first=1.0, cap=30.0)
        while True:
            delay = interval
            try:
                ids = sweep()
                if ids:
                    click.echo(f"re-queued {ids}")
                backoff.reset()
            except Exception as exc:  # Redis or the database briefly away: retry with a backoff, never quit
                db.session.rollback()
                delay = min(interval, backoff.next())
                click.echo(f"sweep failed: {exc}; retry {backoff.attempt} in {delay:.0f} s", err=True)
            db.session.remove()
            if once:
                break
            time.sleep(delay)
