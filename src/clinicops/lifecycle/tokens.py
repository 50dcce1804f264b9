"""The queue token machine: a walk-in waits, is called, is seen, and is done.

WAITING → CALLED → IN_CONSULTATION → COMPLETED. A token called while its patient is away is SKIPPED: it can be
called again, put back in the line, or end as a NO_SHOW when the queue closes. A token that has not been seen may
be CANCELLED (the patient left, or the desk removed it). The queue's service applies this table; changes are
recorded like an appointment's (invariant 9).
"""

from __future__ import annotations

from clinicops.lifecycle.statuses import Actor
from clinicops.lifecycle.statuses import TokenStatus as T
from clinicops.lifecycle.table import Table

A = Actor
STAFF = (A.STAFF, A.USER)
SESSION = (*STAFF, A.CLINICIAN)
LEAVES = (*STAFF, A.PATIENT, A.SYSTEM)

TABLE = Table.of(T, {
    (T.WAITING, T.CALLED): SESSION,
    (T.WAITING, T.NO_SHOW): (*STAFF, A.SYSTEM),
    (T.WAITING, T.CANCELLED): LEAVES,
    (T.CALLED, T.IN_CONSULTATION): SESSION,
    (T.CALLED, T.SKIPPED): SESSION,
    (T.CALLED, T.CANCELLED): LEAVES,
    (T.SKIPPED, T.CALLED): SESSION,
    (T.SKIPPED, T.WAITING): STAFF,  # the patient is back: in the line again
    (T.SKIPPED, T.NO_SHOW): (*STAFF, A.SYSTEM),
    (T.SKIPPED, T.CANCELLED): LEAVES,
    (T.IN_CONSULTATION, T.COMPLETED): SESSION,
})
TERMINAL = TABLE.terminal


def refusal(from_status: str, to_status: str, actor: str) -> str | None:
    """Why a token may not move from ``from_status`` to ``to_status`` by ``actor`` (None: it may)."""
    return TABLE.refusal(from_status, to_status, actor)
