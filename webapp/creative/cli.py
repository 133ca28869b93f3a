"""`flask --app webapp creative ...`: assign, ranking."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from ..cli import division_or_usage_error
from ..models import Division

creative_cli = AppGroup("creative", help="Creative products: judge assignment and rankings.")


def _division(contest_id: int, code: str) -> Division:
    division = division_or_usage_error(contest_id, code)
    if division.content != "creative":
        raise click.UsageError(f"--division {code}: a {division.content} division, not a creative one")
    return division


@creative_cli.command("assign")
@click.option("--contest", "contest_id", type=int, required=True, help="Contest id.")
@click.option("--division", "code", required=True, help="Creative division code, e.g. D2.")
@click.option("--per-entry", "k", type=click.IntRange(1, 50), help="Judges per entry (default: the division's setting, 3).")
@click.option("--round", "round_", type=click.IntRange(1, 2), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print {assignments, loads, shortfall} as JSON.")
def assign_cmd(contest_id, code, k, round_, as_json):
    """Assign judges to the entries of a creative division, without conflicts of interest, loads
    balanced; stores the result (hand-made assignments and scored ones are kept) and reports entries
    short of judges."""
    from ..services.creative_ops import CreativeRefused, run_assignment

    division = _division(contest_id, code)
    try:
        result = run_assignment(division, round_, k)
    except CreativeRefused as exc:
        raise click.ClickException(str(exc))
    data = result.to_dict()
    if as_json:
        click.echo(json.dumps({"contest_id": contest_id, "division": code, "round": round_, **data}, ensure_ascii=False))
        return
    click.echo(f"{len(result.assignments)} assignment(s); loads: " +
               ", ".join(f"judge {j}: {n}" for j, n in sorted(result.loads.items())))
    for s in result.shortfall:
        click.echo(f"entry {s.entry_id}: {s.assigned}/{s.needed} judges ({s.reason}; conflicted: "
                   + (", ".join(f"{j}={r}" for j, r in sorted(s.conflicted.items())) or "none") + ")")
    for e, j, r in result.conflicted_fixed:
        click.echo(f"entry {e}: judge {j} kept although conflicted ({r}): it has a score sheet")


@creative_cli.command("ranking")
@click.option("--contest", "contest_id", type=int, required=True, help="Contest id.")
@click.option("--division", "code", required=True, help="Creative division code, e.g. D2.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, best first.")
def ranking_cmd(contest_id, code, as_json):
    """The ranking of a creative division: entry_id, title, members, score, rank, judges, flagged,
    provisional (true on every row while an entry of round 2 waits for its round-2 score: the order
    may still change; such an entry has score null and is placed by its round-1 score)."""
    from ..services.creative_ranking import division_ranking

    division = _division(contest_id, code)
    rows = division_ranking(division.id)
    keys = ("entry_id", "title", "members", "score", "rank", "judges", "flagged", "provisional")
    if as_json:
        click.echo(json.dumps([{k: r[k] for k in keys} for r in rows], ensure_ascii=False))
        return
    waiting = [r for r in rows if r["round2_pending"]]
    if waiting:
        click.echo(f"PROVISIONAL: waiting for round 2 ({len(waiting)} entr{'y' if len(waiting) == 1 else 'ies'} "
                   "without a round-2 score; ordered by round 1 meanwhile)")
    for r in rows:
        score = "-" if r["score"] is None else f"{r['score']:.2f}"
        click.echo(f"{r['rank'] or '-':>3}  {score:>6}  {r['title']}  ({', '.join(r['members'])}; {r['judges']} judge(s)"
                   + (", FLAGGED" if r["flagged"] else "") + (", waiting for round 2" if r["round2_pending"] else "") + ")")
