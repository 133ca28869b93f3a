"""`flask --app webapp results ...`: import-scores, tally, qualifiers."""
from flask.cli import AppGroup

results_cli = AppGroup("results", help="Prize tally, qualifiers, external scores.")
