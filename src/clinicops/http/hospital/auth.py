"""Staff sign-in (/api/auth): OTP, phone+password, username+password, refresh (non-rotating), logout, me."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import service
from clinicops.authz.principal import Principal
from clinicops.http.deps import client_ip, get_db, require
from clinicops.http.hospital.schemas.people import AccessToken, OtpSent, StaffSignIn, StaffUser
from clinicops.http.hospital.wire import Field, HospitalInput, field_validator, phone_field, staff_user
from clinicops.http.responses import Done, Envelope
from clinicops.http.routing import new_router
from clinicops.http.tenant import PublicOrganization
from clinicops.kit import phones
from clinicops.http.envelope import ok

router = new_router(prefix="/auth", tags=["auth"])


def required_phone(value: str) -> str:
    normalized = phone_field(value)
    if normalized is None:
        raise ValueError("phone is required")
    return normalized


def otp_text(value: object) -> object:
    """Codes are text; a client sending a JSON number loses leading zeros, so pad them back."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:06d}"
    return value


class PhoneIn(HospitalInput):
    phone: str

    _phone = field_validator("phone")(required_phone)


class PhoneOtpIn(PhoneIn):
    otp: str = Field(min_length=1, max_length=12)

    _otp = field_validator("otp", mode="before")(otp_text)


class PhonePasswordIn(PhoneIn):
    password: str = Field(min_length=1, max_length=1024)


class UsernamePasswordIn(HospitalInput):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(HospitalInput):
    refresh_token: str = Field(min_length=1, max_length=4096)


class LogoutIn(HospitalInput):
    refresh_token: str | None = Field(default=None, max_length=4096)


def caller(request: Request) -> service.Client:
    return service.Client(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def signed_in(result: service.StaffSignIn) -> dict:
    identity = result.tokens.identity
    return {"user": staff_user(result.user, identity.roles, identity.clinician_id),
            "accessToken": result.tokens.access_token, "refreshToken": result.tokens.refresh_token}


@router.post("/send-otp", response_model=Envelope[OtpSent])
async def send_otp(body: PhoneIn, organization: PublicOrganization, client: service.Client = Depends(caller),
                   db: AsyncSession = Depends(get_db)):
    expires_in = await service.send_staff_otp(db, organization=organization, phone=body.phone, client=client)
    return ok({"phone": phones.national(body.phone), "expiresIn": expires_in},
              "If this number belongs to a staff account, a code has been sent")


@router.post("/login/phone-otp", response_model=Envelope[StaffSignIn])
async def login_phone_otp(body: PhoneOtpIn, organization: PublicOrganization,
                          client: service.Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    result = await service.staff_login_otp(db, organization=organization, phone=body.phone, code=body.otp,
                                           client=client)
    return ok(signed_in(result), "Login successful")


@router.post("/login/phone-password", response_model=Envelope[StaffSignIn])
async def login_phone_password(body: PhonePasswordIn, organization: PublicOrganization,
                               client: service.Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    result = await service.staff_login_password(db, phone=body.phone, password=body.password, client=client,
                                                organization=organization)
    return ok(signed_in(result), "Login successful")


@router.post("/login/username-password", response_model=Envelope[StaffSignIn])
async def login_username_password(body: UsernamePasswordIn, client: service.Client = Depends(caller),
                                  db: AsyncSession = Depends(get_db)):
    result = await service.staff_login_password(db, username=body.username, password=body.password, client=client)
    return ok(signed_in(result), "Login successful")


@router.post("/refresh", response_model=Envelope[AccessToken])
async def refresh(body: RefreshIn, client: service.Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    tokens = await service.refresh(db, refresh_token=body.refresh_token, user_type="STAFF", client=client)
    return ok({"accessToken": tokens.access_token}, "Token refreshed")


@router.post("/logout", response_model=Done)
async def logout(body: LogoutIn | None = None, principal: Principal = Depends(require()),
                 db: AsyncSession = Depends(get_db)):
    """Auth required (the design's endpoint table): ends the session the access token names, and the one a
    refresh token in the body belongs to."""
    await service.logout(db, principal, refresh_token=body.refresh_token if body else None)
    return ok(None, "Logged out successfully")


@router.get("/me", response_model=Envelope[StaffUser])
async def me(principal: Principal = Depends(require()), db: AsyncSession = Depends(get_db)):
    profile = await service.staff_profile(db, principal)
    return ok(staff_user(profile.user, profile.roles, profile.clinician_id))
