"""`flask --app webapp results ...`: import-scores, tally, qualifiers."""
from flask.cli import AppGroup

results_cli = AppGroup("results", help="Prize tally, qualifiers, external scores.")

from . import cli_import  # noqa: E402,F401  (registers import-scores on results_cli)
