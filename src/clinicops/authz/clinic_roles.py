"""The clinic surface's two roles (guide section 3): what each is called there and what it may do.

A clinic's ADMIN is ``Role.ADMIN`` and sees all of the clinic's data (``CLINIC_ALL``); its DOCTOR is
``Role.CLINICIAN`` and sees only their own patients (``DOCTOR_OWN``). The permission names are section 3.1's, in
the token's snake_case; they tell a front end what to show. What a request may actually do is decided on every
request by the route's dependency and the repositories' scopes, never by reading this list back from a token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from clinicops.authz.principal import Role

ClinicRole = Literal["ADMIN", "DOCTOR"]
ADMIN: ClinicRole = "ADMIN"
DOCTOR: ClinicRole = "DOCTOR"
CLINIC_ALL = "CLINIC_ALL"
DOCTOR_OWN = "DOCTOR_OWN"

ADMIN_PERMISSIONS = (
    "view_all_doctors", "manage_doctors", "view_all_queues",
    "view_all_patient_associations", "view_all_visit_records", "view_doctor_notes", "export_patient_data",
    "view_subscription", "manage_payments", "view_revenue", "download_reports",
    "configure_whatsapp", "manage_settings",
)
DOCTOR_PERMISSIONS = (
    "view_own_queue", "manage_own_tokens", "call_next_patient", "pause_own_queue",
    "view_own_patients", "manage_own_patient_associations", "add_visit_notes", "add_diagnosis",
    "add_prescription", "view_own_visit_history", "view_own_consultation_count",
)


def clinic_role(roles: Iterable[Role | str]) -> ClinicRole:
    """ADMIN for the clinic's admin (also when they see patients themselves), else DOCTOR."""
    return ADMIN if Role.ADMIN in {Role(r) for r in roles} else DOCTOR


def permissions(role: ClinicRole) -> tuple[str, ...]:
    return ADMIN_PERMISSIONS if role == ADMIN else DOCTOR_PERMISSIONS


def patient_access_scope(role: ClinicRole) -> str:
    return CLINIC_ALL if role == ADMIN else DOCTOR_OWN
