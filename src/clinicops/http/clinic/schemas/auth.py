"""Request and response bodies of /api/v1/auth (section 6.1), field for field."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from clinicops.authz import clinic_roles
from clinicops.http.clinic import ids
from clinicops.http.clinic.schemas.base import Body, NewPassword, Otp, Password, Phone, PhoneOut, Wire
from clinicops.http.responses import Instant, one_of
from clinicops.organizations.plans import CATALOGUE

PlanName = one_of(plan.value for plan in CATALOGUE)
ClinicRole = one_of((clinic_roles.ADMIN, clinic_roles.DOCTOR))
Token = Annotated[str, Field(min_length=1, max_length=4096)]

# --- requests ---


class RegisterIn(Body):
    clinic_name: Annotated[str, Field(min_length=1, max_length=200)]
    address: Annotated[str, Field(min_length=1, max_length=500)]
    whatsapp_number: Phone
    admin_name: Annotated[str, Field(min_length=1, max_length=150)]
    subscription_plan: PlanName


class VerifyRegistrationIn(Body):
    registration_id: ids.RegistrationId
    otp: Otp
    password: NewPassword


class PhoneAtClinicIn(Body):
    """Login step one and forgot-password: the number and the clinic it is staff of."""

    whatsapp_number: Phone
    clinic_id: ids.ClinicId


class VerifyLoginIn(Body):
    login_request_id: ids.LoginRequestId
    otp: Otp
    password: Password


class ResetPasswordIn(Body):
    reset_request_id: ids.ResetRequestId
    otp: Otp
    new_password: NewPassword


class RefreshIn(Body):
    refresh_token: Token


class LogoutIn(Body):
    refresh_token: Token | None = None


class ChangePasswordIn(Body):
    current_password: Password
    new_password: NewPassword


# --- responses ---


class Registered(Wire):
    clinic_id: ids.ClinicIdOut
    registration_id: ids.RegistrationIdOut
    otp_expires_in: int


class ClinicSummary(Wire):
    clinic_id: ids.ClinicIdOut
    name: str


class ActivatedClinic(ClinicSummary):
    status: str


class AdminUser(Wire):
    user_id: ids.UserIdOut
    role: ClinicRole


class RegistrationVerified(Wire):
    clinic: ActivatedClinic
    admin_user: AdminUser
    access_token: str
    refresh_token: str


class LoginCodeSent(Wire):
    login_request_id: ids.LoginRequestIdOut
    otp_expires_in: int
    masked_number: str


class ResetCodeSent(Wire):
    reset_request_id: ids.ResetRequestIdOut
    otp_expires_in: int
    masked_number: str


class SignedInUser(Wire):
    user_id: ids.UserIdOut
    name: str
    whatsapp_number: PhoneOut
    role: ClinicRole
    clinic_id: ids.ClinicIdOut
    doctor_id: ids.DoctorIdOut | None
    permissions: list[str]
    patient_access_scope: str
    must_change_password: bool = Field(description="True: every other /api/v1 route answers 403 "
                                                    "PASSWORD_CHANGE_REQUIRED until POST /api/v1/auth/change-password")


class SignedIn(Wire):
    user: SignedInUser
    clinic: ClinicSummary
    access_token: str
    refresh_token: str


class PasswordReset(Wire):
    user_id: ids.UserIdOut
    password_updated_at: Instant


class TokenPair(Wire):
    access_token: str
    refresh_token: str
