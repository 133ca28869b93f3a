"""External score import, XLSX/CSV exports of prizes and qualifiers, PDF certificates."""
from . import bp  # noqa: F401
