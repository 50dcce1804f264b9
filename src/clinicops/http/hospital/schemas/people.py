"""Staff and patient accounts: /api/users, /api/auth and /api/patient-auth."""

from __future__ import annotations

from typing import Literal

from clinicops.authz.principal import Role
from clinicops.http.responses import Day, Instant, WireModel, one_of

RoleName = one_of(role.value for role in Role)


class StaffUser(WireModel):
    """The staff ``user`` object the admin panel reads (never a password hash); ``phone`` is national."""

    id: int
    name: str
    fullName: str
    email: str | None
    phone: str
    username: str | None
    role: RoleName | None
    roles: list[RoleName]
    avatar: str | None
    centreIds: list[int]
    assignedCentreId: int | None
    isActive: bool
    createdAt: Instant
    updatedAt: Instant
    clinicianId: int | None = None  # a clinician's own clinician id (clinicians only)


class CentreName(WireModel):
    id: int
    name: str | None


class StaffRow(StaffUser):
    """A row of the admin panel's staff pages: the ``user`` object plus the names those pages render."""

    full_name: str
    is_active: bool
    isDeleted: bool
    created_at: Instant
    updated_at: Instant
    roleId: int | None
    role_id: int | None
    centreId: int | None
    centre_id: int | None
    centreName: str | None
    centre_name: str | None
    centres: list[CentreName]


class StaffSignIn(WireModel):
    user: StaffUser
    accessToken: str
    refreshToken: str


class AccessToken(WireModel):
    accessToken: str


class OtpSent(WireModel):
    phone: str
    expiresIn: int  # seconds


class PatientOtpSent(OtpSent):
    isNewUser: Literal[False]  # always false: the reply never tells whether the phone is registered


class PatientAccount(WireModel):
    """The patient's sign-in account: ``id`` is a user id, ``patientId`` the patient's."""

    id: int
    phone: str
    full_name: str
    fullName: str
    first_name: str | None
    last_name: str | None
    firstName: str | None
    lastName: str | None
    email: str | None
    username: str | None
    userType: str
    isActive: bool
    patientId: int


class PatientPerson(WireModel):
    """The person: ``id`` is the patient id, ``userId`` their sign-in account."""

    id: int
    userId: int | None
    user_id: int | None
    phone: str
    first_name: str | None
    last_name: str | None
    full_name: str
    fullName: str
    email: str | None
    age: int | None
    gender: str | None
    date_of_birth: Day | None
    blood_group: str | None


class PatientMe(WireModel):
    user: PatientAccount
    patient: PatientPerson


class PatientSignIn(PatientMe):
    accessToken: str
    refreshToken: str
    isNewUser: bool
    requiresProfileCompletion: bool
