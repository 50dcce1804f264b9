"""Text search helpers shared by every repository that searches by substring."""

from __future__ import annotations

LIKE_ESCAPE = "\\"


def contains_pattern(term: str, *, lower: bool = False) -> str:
    """A LIKE/ILIKE pattern matching ``term`` anywhere, its own ``%``, ``_`` and ``\\`` taken literally
    (PostgreSQL's default LIKE escape is the backslash; raw SQL says ``ESCAPE '\\'`` to be explicit)."""
    text = term.lower() if lower else term
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def prefix_pattern(term: str, *, lower: bool = False) -> str:
    """A LIKE pattern matching what starts with ``term`` (index-friendly with ``text_pattern_ops``), its own
    ``%``, ``_`` and ``\\`` taken literally."""
    return contains_pattern(term, lower=lower)[1:]
