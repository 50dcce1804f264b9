"""How a caller names the organization a read serves: by id, or by slug so the read's own query looks it up."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrganizationKey:
    """Exactly one of ``id`` and ``slug``. Hot public reads take a key rather than an id so that a surface that
    names its public organization by slug costs them no extra round trip (their one statement resolves it, and
    checks the organization is active, like it checks everything else)."""

    id: int | None = None
    slug: str | None = None

    def __post_init__(self) -> None:
        if (self.id is None) == (self.slug is None):
            raise ValueError("an organization key names an id or a slug, exactly one")
