"""Creative entries: a team's product, its files and links (student and organiser pages)."""
from . import bp  # noqa: F401
