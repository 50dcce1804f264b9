"""Patient sign-in (/api/patient-auth): WhatsApp OTP (signs unknown phones up), password, refresh, logout, me.

Shapes (decided from the reference; the website reads snake_case profile fields and both name casings):
``user`` = the sign-in account {id, phone, full_name, fullName, first_name, last_name, firstName, lastName, email,
username, userType, isActive, patientId}; ``patient`` = the person {id, userId, user_id, phone, first_name,
last_name, full_name, fullName, email, age, gender, date_of_birth, blood_group}. ``user.id`` is a user id and
``patient.id`` a patient id — never the same thing.
"""

from __future__ import annotations

from fastapi import Depends
from pydantic import EmailStr
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import service
from clinicops.auth.models import User
from clinicops.authz.principal import Principal
from clinicops.http.deps import get_db, require_patient
from clinicops.http.hospital.auth import LogoutIn, PhoneIn, PhoneOtpIn, RefreshIn, caller
from clinicops.http.hospital.schemas.people import AccessToken, PatientMe, PatientOtpSent, PatientSignIn
from clinicops.http.hospital.wire import Field, HospitalInput, field_validator
from clinicops.http.responses import Done, Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import PublicOrganization
from clinicops.kit import phones
from clinicops.http.envelope import ok
from clinicops.patients.models import Patient, normalize_gender

router = new_router(prefix="/patient-auth", tags=["patient-auth"])

class VerifyOtpIn(PhoneOtpIn):
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: EmailStr | None = None
    age: int | None = Field(default=None, ge=0, le=130)
    gender: str | None = None

    @field_validator("first_name", "last_name", "email", "gender", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("gender")
    @classmethod
    def _gender(cls, value: str | None) -> str | None:
        return normalize_gender(value)


class PasswordLoginIn(HospitalInput):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


def patient_user(user: User, patient: Patient) -> dict:
    full_name = patient.full_name or user.full_name
    email = patient.email or user.email
    return {
        "id": user.id, "phone": phones.wire(user.phone), "full_name": full_name, "fullName": full_name,
        "first_name": patient.first_name, "last_name": patient.last_name, "firstName": patient.first_name,
        "lastName": patient.last_name, "email": email, "username": user.username, "userType": user.user_type,
        "isActive": user.is_active, "patientId": patient.id,
    }


def patient_object(patient: Patient) -> dict:
    return {
        "id": patient.id, "userId": patient.user_id, "user_id": patient.user_id, "phone": phones.wire(patient.phone),
        "first_name": patient.first_name, "last_name": patient.last_name, "full_name": patient.full_name,
        "fullName": patient.full_name, "email": patient.email, "age": patient.age, "gender": patient.gender,
        "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
        "blood_group": patient.blood_group,
    }


def signed_in(result: service.PatientSignIn) -> dict:
    assert result.tokens is not None
    return {"user": patient_user(result.user, result.patient), "patient": patient_object(result.patient),
            "accessToken": result.tokens.access_token, "refreshToken": result.tokens.refresh_token,
            "isNewUser": result.is_new_user, "requiresProfileCompletion": result.requires_profile_completion}


@router.post("/send-otp", response_model=Envelope[PatientOtpSent])
async def send_otp(body: PhoneIn, organization: PublicOrganization, client: service.Client = Depends(caller),
                   db: AsyncSession = Depends(get_db)):
    expires_in = await service.send_patient_otp(db, organization=organization, phone=body.phone, client=client)
    # isNewUser is always false: the reply must not tell whether the phone is registered.
    return ok({"phone": phones.wire(body.phone), "expiresIn": expires_in, "isNewUser": False},
              "OTP sent on WhatsApp")


@router.post("/verify-otp", response_model=Envelope[PatientSignIn])
async def verify_otp(body: VerifyOtpIn, organization: PublicOrganization, client: service.Client = Depends(caller),
                     db: AsyncSession = Depends(get_db)):
    details = service.PatientDetails(first_name=body.first_name, last_name=body.last_name, email=body.email,
                                     age=body.age, gender=body.gender)
    result = await service.patient_verify_otp(db, organization=organization, phone=body.phone, code=body.otp,
                                              details=details, client=client)
    return ok(signed_in(result), "Login successful")


@router.post("/login-with-password", response_model=Envelope[PatientSignIn])
async def login_with_password(body: PasswordLoginIn, organization: PublicOrganization,
                              client: service.Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    result = await service.patient_login_password(db, organization=organization, username=body.username,
                                                  password=body.password, client=client)
    return ok(signed_in(result), "Login successful")


@router.post("/refresh-token", response_model=Envelope[AccessToken])
async def refresh_token(body: RefreshIn, client: service.Client = Depends(caller),
                        db: AsyncSession = Depends(get_db)):
    tokens = await service.refresh(db, refresh_token=body.refresh_token, user_type="PATIENT", client=client)
    return ok({"accessToken": tokens.access_token}, "Token refreshed")


@router.post("/logout", response_model=Done)
async def logout(body: LogoutIn | None = None, principal: Principal = Depends(require_patient),
                 db: AsyncSession = Depends(get_db)):
    """Auth required (the design's endpoint table): ends the session the access token names, and the one a
    refresh token in the body belongs to."""
    await service.logout(db, principal, refresh_token=body.refresh_token if body else None)
    return ok(None, "Logged out successfully")


@router.get("/me", response_model=Envelope[PatientMe])
async def me(principal: Principal = Depends(require_patient), db: AsyncSession = Depends(get_db)):
    profile = await service.patient_profile(db, principal)
    return ok({"user": patient_user(profile.user, profile.patient), "patient": patient_object(profile.patient)})
