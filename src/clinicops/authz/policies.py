"""Named permissions: who may call a use case, by role, and at which centres.

Routes of both surfaces declare one of these (``http.deps.require(policies.BOOK_FOR_PATIENTS)``) instead of a role
list, so one name means the same thing on the hospital's /api and the clinic's /api/v1. Which rows a permitted
caller then reaches is ``authz.scopes``; a policy only answers "may this principal do this at all, and where".
"""

from __future__ import annotations

from dataclasses import dataclass

from clinicops.authz.principal import DESK_ROLES, ORG_WIDE_ROLES, Principal, Role


@dataclass(frozen=True)
class Policy:
    """Staff holding any of ``roles`` may; a centre-bound role only at the centres it is held for."""

    name: str
    roles: frozenset[Role]

    def allows(self, principal: Principal) -> bool:
        return principal.is_staff and principal.organization_id is not None and principal.has(*self.roles)

    def centres(self, principal: Principal) -> frozenset[int] | None:
        """The centres where ``principal`` holds this permission: None = every centre of their organization
        (an org-wide role, or a role held for all centres); empty when they do not hold it at all."""
        if not self.allows(principal):
            return frozenset()
        held = self.roles & principal.roles
        if held & ORG_WIDE_ROLES:
            return None
        centres: set[int] = set()
        for role in held:
            scope = principal.role_centres.get(role)
            if scope is None:
                return None
            centres |= scope
        return frozenset(centres)

    def allows_at(self, principal: Principal, centre_id: int) -> bool:
        centres = self.centres(principal)
        return centres is None or centre_id in centres


def _policy(name: str, *roles: Role) -> Policy:
    return Policy(name, frozenset(roles))


ANY_STAFF = _policy("ANY_STAFF", *Role)
# organization and people
MANAGE_CENTRES = _policy("MANAGE_CENTRES", Role.ADMIN)                       # create, (de)activate, delete
EDIT_CENTRES = _policy("EDIT_CENTRES", Role.ADMIN, Role.CENTRE_MANAGER)      # edit a centre's details
MANAGE_STAFF = _policy("MANAGE_STAFF", Role.ADMIN)
MANAGE_FRONT_DESK = _policy("MANAGE_FRONT_DESK", Role.ADMIN, Role.MANAGER)
MANAGE_CLINICIANS = _policy("MANAGE_CLINICIANS", Role.ADMIN, Role.CENTRE_MANAGER)
MANAGE_CLINICIAN_PROFILES = _policy("MANAGE_CLINICIAN_PROFILES", Role.ADMIN, Role.MANAGER, Role.CENTRE_MANAGER)
MANAGE_AVAILABILITY = _policy("MANAGE_AVAILABILITY", Role.ADMIN, Role.MANAGER, Role.CENTRE_MANAGER)
# patients
VIEW_PATIENT_RECORDS = _policy("VIEW_PATIENT_RECORDS", *Role)
REGISTER_PATIENTS = _policy("REGISTER_PATIENTS", *DESK_ROLES)                # walk-ins, profile changes
WRITE_CLINICAL_NOTES = _policy("WRITE_CLINICAL_NOTES", Role.CLINICIAN, Role.ADMIN)
# appointments
VIEW_APPOINTMENTS = _policy("VIEW_APPOINTMENTS", *Role)
BOOK_FOR_PATIENTS = _policy("BOOK_FOR_PATIENTS", *DESK_ROLES)                # book and cancel for a patient
EDIT_APPOINTMENTS = _policy("EDIT_APPOINTMENTS", Role.ADMIN, Role.MANAGER, Role.CENTRE_MANAGER,
                            Role.CARE_COORDINATOR)                           # move, change status
EDIT_APPOINTMENT_NOTES = _policy("EDIT_APPOINTMENT_NOTES", Role.CLINICIAN, *EDIT_APPOINTMENTS.roles)
CONDUCT_SESSIONS = _policy("CONDUCT_SESSIONS", Role.CLINICIAN)               # own sessions and their records
# money, messages, figures
TAKE_PAYMENTS = _policy("TAKE_PAYMENTS", *DESK_ROLES)                        # links, payment at the desk
ISSUE_REFUNDS = _policy("ISSUE_REFUNDS", Role.ADMIN, Role.MANAGER)
MANAGE_MESSAGES = _policy("MANAGE_MESSAGES", Role.ADMIN, Role.MANAGER)       # the message log, manual sends
VIEW_ANALYTICS = _policy("VIEW_ANALYTICS", Role.ADMIN, Role.MANAGER, Role.CENTRE_MANAGER)
