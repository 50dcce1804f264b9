"""Who may call a clinic route: the clinic's ADMIN, or its DOCTOR (a CLINICIAN with a clinician profile).

- :data:`ClinicMember` — an admin or a doctor of a clinic (the organization their token was issued in);
- :data:`ClinicAdmin` — the clinic's admin only (a doctor gets 403);
- :data:`PasswordChanger` — like ``ClinicMember`` but admitted while a password change is pending (only
  ``change-password`` and ``logout`` use it).

Everyone else gets 403 (a hospital chain's staff, a patient); no token or a dead one, 401. A user whose password was
chosen by someone else (``must_change_password``) gets 403 ``PASSWORD_CHANGE_REQUIRED`` everywhere but the
routes that let them change it. Which rows a member sees is the repositories' business (``authz/scopes.py``);
:func:`own_doctor_id` is what a route passes on when a doctor may only act as themselves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from clinicops.auth.exceptions import NotClinicStaff, PasswordChangeRequired
from clinicops.authz import clinic_roles
from clinicops.authz.principal import Principal, Role
from clinicops.errors import Forbidden
from clinicops.http.deps import current_principal

def is_clinic_member(principal: Principal) -> bool:
    return (principal.is_staff and principal.organization_kind == "CLINIC" and principal.organization_id is not None
            and (principal.has(Role.ADMIN) or (principal.has(Role.CLINICIAN) and principal.clinician_id is not None)))


def role_of(principal: Principal) -> clinic_roles.ClinicRole:
    """ADMIN for the clinic's admin (also when they see patients themselves), else DOCTOR."""
    return clinic_roles.clinic_role(principal.roles)


def own_doctor_id(principal: Principal) -> int | None:
    """The doctor a DOCTOR may act as (their own clinician id); None for the admin, who acts for the clinic."""
    return None if principal.has(Role.ADMIN) else principal.clinician_id


def doctor_id_of(principal: Principal) -> int | None:
    """The caller's own clinician profile, admin or not (an admin may also see patients)."""
    return principal.clinician_id if principal.has(Role.CLINICIAN) else None


async def password_changer(principal: Principal = Depends(current_principal)) -> Principal:
    if not is_clinic_member(principal):
        raise NotClinicStaff()
    return principal


async def clinic_member(principal: Principal = Depends(password_changer)) -> Principal:
    if principal.must_change_password:
        raise PasswordChangeRequired()
    return principal


async def clinic_admin(principal: Principal = Depends(clinic_member)) -> Principal:
    if not principal.has(Role.ADMIN):
        raise Forbidden("Only the clinic admin can do this")
    return principal


ClinicMember = Annotated[Principal, Depends(clinic_member)]
ClinicAdmin = Annotated[Principal, Depends(clinic_admin)]
PasswordChanger = Annotated[Principal, Depends(password_changer)]
