"""A transition table: which status may follow which, and who may make each move."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from clinicops.lifecycle.statuses import Actor


@dataclass(frozen=True)
class Table:
    """``moves`` maps (from, to) to the actors allowed to make that move; a pair not listed is never allowed."""

    statuses: tuple[StrEnum, ...]
    moves: Mapping[tuple[str, str], frozenset[Actor]]

    @classmethod
    def of(cls, statuses: Iterable[StrEnum], moves: Mapping[tuple[str, str], Iterable[Actor]]) -> Table:
        known = tuple(statuses)
        unknown = {s for pair in moves for s in pair} - set(known)
        assert not unknown, f"statuses outside the table: {unknown}"
        return cls(known, {pair: frozenset(actors) for pair, actors in moves.items()})

    def next_of(self, status: str) -> frozenset[str]:
        return frozenset(to for (frm, to) in self.moves if frm == status)

    def allows(self, from_status: str, to_status: str) -> bool:
        return (from_status, to_status) in self.moves

    def actors(self, from_status: str, to_status: str) -> frozenset[Actor]:
        return self.moves.get((from_status, to_status), frozenset())

    def may(self, actor: str, from_status: str, to_status: str) -> bool:
        return actor in self.actors(from_status, to_status)

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(s for s in self.statuses if not self.next_of(s))

    def refusal(self, from_status: str, to_status: str, actor: str) -> str | None:
        """Why the table forbids this move by ``actor`` (None: it allows it)."""
        if not self.allows(from_status, to_status):
            return "that change is not allowed"
        if not self.may(actor, from_status, to_status):
            return f"{actor} may not make that change"
        return None
