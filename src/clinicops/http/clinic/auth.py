"""Sign-in and onboarding of the clinic surface (/api/v1/auth, sections 5.4 and 6.1)."""

from __future__ import annotations

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import clinic_sign_in, onboarding
from clinicops.auth.service import Client
from clinicops.authz import clinic_roles
from clinicops.http.clinic import ids
from clinicops.http.clinic.deps import PasswordChanger
from clinicops.http.clinic.schemas import auth as wire
from clinicops.http.deps import client_ip, get_db
from clinicops.http.envelope import ok
from clinicops.http.responses import Done, Envelope
from clinicops.http.routing import new_router
from clinicops.kit.phones import partly_masked

router = new_router(prefix="/auth", tags=["clinic: auth"])


def caller(request: Request) -> Client:
    return Client(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def signed_in(result: clinic_sign_in.ClinicSignIn) -> wire.SignedIn:
    identity = result.identity
    role = clinic_roles.clinic_role(name for name, _ in identity.roles)
    user = wire.SignedInUser(
        user_id=ids.render(ids.USER, result.user.id), name=result.user.full_name,
        whatsapp_number=result.user.phone, role=role, clinic_id=ids.render(ids.CLINIC, result.clinic.id),
        doctor_id=ids.render_optional(ids.DOCTOR, identity.clinician_id),
        permissions=list(clinic_roles.permissions(role)),
        patient_access_scope=clinic_roles.patient_access_scope(role),
        must_change_password=result.user.must_change_password)
    return wire.SignedIn(user=user, clinic=wire.ClinicSummary(clinic_id=user.clinic_id, name=result.clinic.name),
                         access_token=result.tokens.access_token, refresh_token=result.tokens.refresh_token or "")


@router.post("/clinic/register", response_model=Envelope[wire.Registered], status_code=201)
async def register(body: wire.RegisterIn, client: Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    done = await onboarding.register(db, clinic_name=body.clinic_name, address=body.address,
                                     whatsapp_number=body.whatsapp_number, admin_name=body.admin_name,
                                     plan=body.subscription_plan, client=client)
    return ok(wire.Registered(clinic_id=ids.render(ids.CLINIC, done.clinic.id),
                              registration_id=ids.render(ids.REGISTRATION, done.code.request.id),
                              otp_expires_in=done.code.expires_in).dump(),
              "Clinic registered successfully. OTP sent to WhatsApp.", status_code=201)


@router.post("/clinic/verify-registration", response_model=Envelope[wire.RegistrationVerified])
async def verify_registration(body: wire.VerifyRegistrationIn, client: Client = Depends(caller),
                              db: AsyncSession = Depends(get_db)):
    result = await onboarding.verify_registration(db, registration_id=body.registration_id, code=body.otp,
                                                  password=body.password, client=client)
    clinic_id = ids.render(ids.CLINIC, result.clinic.id)
    return ok(wire.RegistrationVerified(
        clinic=wire.ActivatedClinic(clinic_id=clinic_id, name=result.clinic.name, status=result.clinic.status),
        admin_user=wire.AdminUser(user_id=ids.render(ids.USER, result.user.id), role=clinic_roles.ADMIN),
        access_token=result.tokens.access_token, refresh_token=result.tokens.refresh_token or "",
    ).dump(), "Clinic registration completed successfully")


@router.post("/clinic/login", response_model=Envelope[wire.LoginCodeSent])
async def login(body: wire.PhoneAtClinicIn, client: Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    """Step one. The answer is the same whether or not the number is staff of the clinic."""
    sent = await clinic_sign_in.send_login_code(db, clinic_id=body.clinic_id, phone=body.whatsapp_number,
                                                client=client)
    return ok(wire.LoginCodeSent(login_request_id=ids.render(ids.LOGIN_REQUEST, sent.request.id),
                                 otp_expires_in=sent.expires_in,
                                 masked_number=partly_masked(body.whatsapp_number)).dump(),
              "Login OTP sent to WhatsApp")


@router.post("/clinic/verify-login", response_model=Envelope[wire.SignedIn])
async def verify_login(body: wire.VerifyLoginIn, client: Client = Depends(caller),
                       db: AsyncSession = Depends(get_db)):
    result = await clinic_sign_in.verify_login(db, request_id=body.login_request_id, code=body.otp,
                                               password=body.password, client=client)
    return ok(signed_in(result).dump(), "Login successful")


@router.post("/forgot-password", response_model=Envelope[wire.ResetCodeSent])
async def forgot_password(body: wire.PhoneAtClinicIn, client: Client = Depends(caller),
                          db: AsyncSession = Depends(get_db)):
    sent = await clinic_sign_in.send_reset_code(db, clinic_id=body.clinic_id, phone=body.whatsapp_number,
                                                client=client)
    return ok(wire.ResetCodeSent(reset_request_id=ids.render(ids.RESET_REQUEST, sent.request.id),
                                 otp_expires_in=sent.expires_in,
                                 masked_number=partly_masked(body.whatsapp_number)).dump(),
              "Password reset OTP sent to WhatsApp")


@router.post("/reset-password", response_model=Envelope[wire.PasswordReset])
async def reset_password(body: wire.ResetPasswordIn, client: Client = Depends(caller),
                         db: AsyncSession = Depends(get_db)):
    user = await clinic_sign_in.reset_password(db, request_id=body.reset_request_id, code=body.otp,
                                               new_password=body.new_password, client=client)
    return ok(wire.PasswordReset(user_id=ids.render(ids.USER, user.id), password_updated_at=user.updated_at).dump(),
              "Password reset successfully")


@router.post("/refresh", response_model=Envelope[wire.TokenPair])
async def refresh(body: wire.RefreshIn, client: Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    """Rotating: the answer's refresh token replaces the one sent, which must never be sent again (a reused one
    ends the whole session)."""
    tokens = await clinic_sign_in.refresh(db, refresh_token=body.refresh_token, client=client)
    return ok(wire.TokenPair(access_token=tokens.access_token, refresh_token=tokens.refresh_token or "").dump())


@router.post("/logout", response_model=Done)
async def logout(principal: PasswordChanger, body: wire.LogoutIn | None = None,
                 db: AsyncSession = Depends(get_db)):
    await clinic_sign_in.logout(db, principal, refresh_token=body.refresh_token if body else None)
    return ok(None, "Logged out successfully")


@router.post("/change-password", response_model=Envelope[wire.TokenPair])
async def change_password(body: wire.ChangePasswordIn, principal: PasswordChanger,
                          client: Client = Depends(caller), db: AsyncSession = Depends(get_db)):
    """Every session of the user ends (including this one); the answer holds the tokens of a new one."""
    result = await clinic_sign_in.change_password(db, principal, current_password=body.current_password,
                                                  new_password=body.new_password, client=client)
    return ok(wire.TokenPair(access_token=result.tokens.access_token,
                             refresh_token=result.tokens.refresh_token or "").dump(), "Password changed")
