"""`flask --app webapp results import-scores --contest ID --division CODE FILE`: external scores.

Same rules as the web page (services.score_import): all or nothing, every error printed as
"row N, column C: message" on stderr with exit status 1; on success one line on stdout.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from ..cli import division_or_usage_error
from ..extensions import db
from ..services.score_import import ScoreImportError, parse_scores, store_scores
from .cli import results_cli


@results_cli.command("import-scores")
@click.option("--contest", "contest_id", type=int, required=True, help="Contest id.")
@click.option("--division", "division_code", required=True, help="Division code, e.g. B.")
@click.option("--reason", default="", help="Note stored in the audit log (source of the scores).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_scores_cmd(contest_id: int, division_code: str, reason: str, file: Path):
    """Import scores (XLSX/CSV with columns username,score or full name,school,score) for a division
    judged elsewhere; replaces earlier imported scores of the same users."""
    division = division_or_usage_error(contest_id, division_code)
    try:
        rows, errors = parse_scores(division, file.name, file.read_bytes(),
                                    current_app.config["IMPORT_MAX_BYTES"], current_app.config["IMPORT_MAX_ROWS"])
    except ScoreImportError as exc:
        raise click.ClickException(f"{file.name}: {exc}")
    if errors:
        for e in errors:
            click.echo(f"{file.name}: row {e.row}, column {e.column}: {e.message}", err=True)
        raise click.ClickException(f"{len(errors)} error(s); nothing imported")
    result = store_scores(division, rows, None, file.name, reason or f"cli import of {file.name}")
    db.session.commit()
    click.echo(f"imported {len(result.stored)} scores into division {division.code} ({result.replaced} replaced)")
