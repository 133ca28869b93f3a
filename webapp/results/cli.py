"""`flask --app webapp results ...`: import-scores, tally, qualifiers."""
import json

import click
from flask.cli import AppGroup

results_cli = AppGroup("results", help="Prize tally, qualifiers, external scores.")


def _contest_division(contest_id: int, code: str | None):
    from ..cli import contest_or_usage_error, division_or_usage_error

    if code is None:
        return contest_or_usage_error(contest_id), None
    division = division_or_usage_error(contest_id, code)
    return division.contest, division


def _rules_file(path: str | None):
    if path is None:
        return None
    with open(path, "rb") as fh:
        return fh.read()


@results_cli.command("tally")
@click.option("--contest", "contest_id", type=int, required=True, help="Contest id.")
@click.option("--division", "code", required=True, help="Division code, e.g. B.")
@click.option("--rules", "rules", type=click.Path(exists=True, dir_okay=False),
              help="A prize rule (JSON/YAML) to use instead of the stored one.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per ranked entrant, best first.")
def tally_cmd(contest_id, code, rules, as_json):
    """The prize tally of one division (live, with reasons)."""
    from ..services.prizes import RuleError
    from ..services.results import public_rows, tally_division

    _contest, division = _contest_division(contest_id, code)
    try:
        rows = tally_division(division, _rules_file(rules))
    except RuleError as exc:
        raise click.UsageError(f"--rules {rules}: {exc}") from None
    out = public_rows(rows, "award")
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for r in out:
        click.echo(f"{r['rank']:>4}  {r['score']!s:>8}  {(r['award'] or '-'):<12} {r['full_name']} ({r['username']})  {r['reason']}")


@results_cli.command("qualifiers")
@click.option("--contest", "contest_id", type=int, required=True, help="Contest id.")
@click.option("--rules", "rules", type=click.Path(exists=True, dir_okay=False),
              help="A qualifier rule (JSON/YAML) to use instead of the contest's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per ranked entrant.")
def qualifiers_cmd(contest_id, rules, as_json):
    """The qualifier selection of a contest, division by division (rule order), best first."""
    from ..services.prizes import RuleError
    from ..services.results import public_rows, qualifier_rows

    contest, _ = _contest_division(contest_id, None)
    try:
        result = qualifier_rows(contest, _rules_file(rules))
    except RuleError as exc:
        raise click.UsageError(f"--rules: {exc} (give --rules FILE or set the contest's qualifier rule)") from None
    out = public_rows(result["rows"], "qualified")
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    for r in out:
        click.echo(f"{r['rank']:>4}  {r['score']!s:>8}  {'yes' if r['qualified'] else 'no ':<4} {r['full_name']} ({r['username']})  {r['reason']}")


from . import cli_import  # noqa: E402,F401  (registers import-scores on results_cli)
