"""Clinic onboarding (guide 5.4, 6.1): register a clinic, then verify the admin's WhatsApp code.

Registration opens the clinic PENDING with its one centre and its subscription, creates its admin (inactive, no
password yet) and sends a code to the admin's WhatsApp number. Verifying the code sets the admin's password,
activates the admin and the clinic, and signs the admin in. A registration never verified leaves a PENDING clinic
nobody can sign in to.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import clinic_sign_in, staff_repository
from clinicops.auth.clinic_sign_in import REGISTRATION, ClinicSignIn, CodeSent
from clinicops.auth.exceptions import InvalidOtp
from clinicops.auth.models import User
from clinicops.auth.passwords import hash_password
from clinicops.auth.service import Client
from clinicops.authz.principal import Role
from clinicops.organizations import clinics, plans
from clinicops.organizations.models import Organization


@dataclass(frozen=True)
class Registration:
    clinic: Organization
    admin: User
    code: CodeSent


async def register(session: AsyncSession, *, clinic_name: str, address: str, whatsapp_number: str,
                   admin_name: str, plan: str, client: Client) -> Registration:
    plans.terms(plan, field="subscription_plan")
    clinic, _centre = await clinics.open_clinic(session, name=clinic_name, address=address,
                                                whatsapp_number=whatsapp_number)
    await plans.start_subscription(session, clinic.id, plan, await plans.clinic_today(session, clinic.id))
    admin = await staff_repository.add(session, User(
        organization_id=clinic.id, user_type="STAFF", phone=whatsapp_number, full_name=admin_name.strip(),
        is_active=False))
    await staff_repository.replace_roles(session, admin.id, Role.ADMIN.value, [])
    code = await clinic_sign_in.open_request(session, kind=REGISTRATION, clinic=clinic, phone=whatsapp_number,
                                             user=admin, client=client)
    return Registration(clinic, admin, code)


async def verify_registration(session: AsyncSession, *, registration_id: int, code: str, password: str,
                              client: Client) -> ClinicSignIn:
    clinic_sign_in.check_new_password(password, "password")
    request = await clinic_sign_in.take_request(session, kind=REGISTRATION, request_id=registration_id, code=code,
                                                client=client)
    admin = await session.get(User, request.user_id) if request.user_id is not None else None
    clinic = await clinics.get(session, request.organization_id)
    if admin is None or clinic.status != clinics.PENDING:
        raise InvalidOtp()
    admin.password_hash = hash_password(password)
    admin.is_active = True
    await clinics.activate(session, clinic)
    return await clinic_sign_in.start_session(session, admin, clinic, client)
