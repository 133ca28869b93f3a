"""Whether a division or a problem may be deleted, and deleting it with its own settings.

Rule: a row is deleted only while no data refers to it: any row of a table with a foreign key to it
(found from the models, so a new table is covered without touching this file) blocks the delete,
except the row's own settings (SETTINGS_TABLES: a division's creative settings, rubric, judge panels
and prize rule), which go with it. Before this, such rows (a clarification about a problem, a
division's creative entries or settings) made PostgreSQL refuse the DELETE with an error page, while
SQLite, which does not check foreign keys, kept them pointing at nothing."""
from __future__ import annotations

from sqlalchemy import delete, exists, select

from ..extensions import db
from ..models import audit

SETTINGS_TABLES = {"division": ("creative_settings", "rubric_criterion", "creative_panel", "prize_rule")}


def _referring_columns(target_table: str):
    """(table, column) for every foreign key to <target_table>.id."""
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table.name == target_table and fk.parent.table is table:
                yield table, fk.parent


def blocking_tables(row) -> list[str]:
    """Names of the tables (settings aside) with rows that refer to `row`; [] = it may be deleted."""
    name = row.__table__.name
    return [table.name for table, column in _referring_columns(name)
            if table.name not in SETTINGS_TABLES.get(name, ())
            and db.session.scalar(select(exists().where(column == row.id)))]


def delete_with_settings(row) -> None:
    """Delete a row that blocking_tables() allows, with its settings rows (not committed)."""
    name = row.__table__.name
    for table, column in _referring_columns(name):
        if table.name in SETTINGS_TABLES.get(name, ()):
            db.session.execute(delete(table).where(column == row.id))
    db.session.delete(row)


def delete_if_unused(row, user, action: str, **details) -> bool:
    """The guarded delete of an organiser's page: False (nothing changed) while blocking_tables(row)
    finds data referring to it; otherwise audit `action` on "<table>:<id>" with `details`, delete the
    row with its settings and return True. Not committed."""
    if blocking_tables(row):
        return False
    audit(user, action, f"{row.__table__.name}:{row.id}", **details)
    delete_with_settings(row)
    return True
