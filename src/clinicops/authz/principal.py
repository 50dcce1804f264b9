"""Who is calling: the identity every service receives, and the centre/clinician scope it implies."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    MANAGER = "MANAGER"
    CENTRE_MANAGER = "CENTRE_MANAGER"
    CLINICIAN = "CLINICIAN"
    CARE_COORDINATOR = "CARE_COORDINATOR"
    FRONT_DESK = "FRONT_DESK"


ORG_WIDE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
DESK_ROLES = frozenset({Role.ADMIN, Role.MANAGER, Role.CENTRE_MANAGER, Role.CARE_COORDINATOR, Role.FRONT_DESK})


@dataclass(frozen=True)
class Principal:
    user_id: int
    user_type: str  # STAFF or PATIENT
    organization_id: int | None
    roles: frozenset[Role] = frozenset()
    # Centres each role applies to; None means every centre of the organization.
    role_centres: dict[Role, frozenset[int] | None] = field(default_factory=dict)
    clinician_id: int | None = None
    patient_id: int | None = None
    full_name: str = ""
    session_family: str | None = None
    organization_kind: str | None = None  # CHAIN (a hospital chain) or CLINIC; None for patients
    must_change_password: bool = False

    @property
    def is_staff(self) -> bool:
        return self.user_type == "STAFF"

    @property
    def is_patient(self) -> bool:
        return self.user_type == "PATIENT"

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def primary_role(self) -> Role | None:
        for role in Role:
            if role in self.roles:
                return role
        return None

    @property
    def is_org_wide(self) -> bool:
        return bool(self.roles & ORG_WIDE_ROLES) or any(
            scope is None for role, scope in self.role_centres.items() if role != Role.CLINICIAN)

    def centre_scope(self) -> frozenset[int] | None:
        """Centres whose desk data this principal sees; None = all centres of the organization."""
        if self.is_org_wide:
            return None
        centres: set[int] = set()
        for role, scope in self.role_centres.items():
            if role != Role.CLINICIAN and scope:
                centres |= scope
        return frozenset(centres)

    @property
    def own_clinician_id(self) -> int | None:
        """The clinician whose own appointments this principal sees wherever they are (a CLINICIAN), or None."""
        return self.clinician_id if Role.CLINICIAN in self.roles else None

    def only_own_clinician(self) -> bool:
        """A clinician with no desk role sees only their own appointments and patients."""
        return self.roles == frozenset({Role.CLINICIAN})

    def can_access_centre(self, centre_id: int) -> bool:
        scope = self.centre_scope()
        return scope is None or centre_id in scope
