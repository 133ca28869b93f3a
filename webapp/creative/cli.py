"""`flask --app webapp creative ...`: assign, ranking."""
from flask.cli import AppGroup

creative_cli = AppGroup("creative", help="Creative products: judge assignment and rankings.")
