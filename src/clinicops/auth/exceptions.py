"""Typed sign-in errors (rendered by the one error handler)."""

from __future__ import annotations

from clinicops.errors import BadRequest, Forbidden, Unauthorized


class InvalidCredentials(Unauthorized):
    """Same message for an unknown account and a wrong password, so the reply reveals neither."""

    code = "INVALID_CREDENTIALS"
    message = "Invalid credentials"


class InvalidOtp(BadRequest):
    """Wrong, expired, used or exhausted code: 400, never 401 (the shipped clients log out on any 401)."""

    code = "INVALID_OTP"
    message = "The code is invalid or has expired; request a new one"


class InvalidRefreshToken(Unauthorized):
    code = "INVALID_TOKEN"
    message = "Invalid or expired refresh token"


class AccountDisabled(Forbidden):
    code = "ACCOUNT_DISABLED"
    message = "This account is disabled; contact the administrator"


class WrongAccountType(Forbidden):
    """A patient at the staff sign-in, or a staff member at the patient sign-in."""

    code = "FORBIDDEN"

    def __init__(self, expected: str):
        who = "staff" if expected == "STAFF" else "patients"
        super().__init__(f"This sign-in is for {who} only")


class PasswordChangeRequired(Forbidden):
    """The user signed in with a password someone else chose; until they change it, that is all they may do."""

    code = "PASSWORD_CHANGE_REQUIRED"
    message = "Change your password first: POST /api/v1/auth/change-password"


class NotClinicStaff(Forbidden):
    """A signed-in user who is not an admin or doctor of a clinic (a hospital chain's staff, a patient)."""

    code = "FORBIDDEN"
    message = "This endpoint is for clinic admins and doctors"
