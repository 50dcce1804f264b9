"""``clinicops create-admin``: the first ADMIN of an organization, without any HTTP surface."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops import db
from clinicops.auth import credentials
from clinicops.auth.models import User, UserRole
from clinicops.auth.passwords import hash_password
from clinicops.kit import phones
from clinicops.organizations.models import Organization



class AdminRefused(Exception):
    """The admin cannot be created as asked (duplicate, bad phone, weak password)."""


@dataclass(frozen=True)
class CreatedAdmin:
    user_id: int
    username: str
    organization_id: int
    organization_created: bool


def check_inputs(username: str, password: str, phone: str, email: str | None = None) -> str:
    """The API's rules for a staff account (``auth.credentials``); returns the phone in E.164."""
    for problem in (credentials.username_problem(username.strip()), credentials.password_problem(password)):
        if problem:
            raise AdminRefused(f"--{problem}")
    if email is not None:
        try:
            credentials.normalized_email(email)
        except ValueError as exc:
            raise AdminRefused(f"--{exc}") from None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) != 10:
        raise AdminRefused("--phone must be a 10-digit mobile number")
    try:
        return phones.normalize(digits)
    except phones.InvalidPhone as exc:
        raise AdminRefused(f"--phone: {exc}") from None


async def _organization(session: AsyncSession, slug: str, *, create: bool) -> tuple[Organization, bool]:
    org = (await session.execute(select(Organization).where(Organization.slug == slug))).scalar_one_or_none()
    if org is not None:
        return org, False
    if not create:
        raise AdminRefused(f"no organization '{slug}': check --org, or pass --create-org to create it")
    org = Organization(slug=slug, name=slug.replace("-", " ").title(), kind="CHAIN", timezone="Asia/Kolkata")
    session.add(org)
    await session.flush()
    return org, True


async def _refuse_duplicates(session: AsyncSession, org: Organization, username: str, phone: str) -> None:
    taken = await session.scalar(select(func.count()).select_from(User).where(
        func.lower(User.username) == username.lower(), User.is_deleted.is_(False)))
    if taken:
        raise AdminRefused(f"username '{username}' is already taken")
    taken = await session.scalar(select(func.count()).select_from(User).where(
        User.organization_id == org.id, User.user_type == "STAFF", User.phone == phone, User.is_deleted.is_(False)))
    if taken:
        raise AdminRefused(f"a staff user with phone {phones.national(phone)} already exists in '{org.slug}'")


async def create_admin(*, username: str, password: str, phone: str, organization_slug: str,
                       full_name: str | None = None, email: str | None = None,
                       create_organization: bool = False) -> CreatedAdmin:
    """Create an ADMIN for all centres of ``organization_slug`` (created as a CHAIN when missing, if allowed)."""
    e164 = check_inputs(username, password, phone, email)
    username = username.strip()
    email = credentials.normalized_email(email) if email else None
    try:
        async with db.unit_of_work() as session:
            org, created = await _organization(session, organization_slug, create=create_organization)
            await _refuse_duplicates(session, org, username, e164)
            user = User(organization_id=org.id, user_type="STAFF", phone=e164, email=email, username=username,
                        full_name=full_name or username, password_hash=hash_password(password), is_active=True)
            session.add(user)
            await session.flush()
            session.add(UserRole(user_id=user.id, role="ADMIN", centre_id=None))
            await session.flush()
    except IntegrityError:  # a concurrent create-admin won the race for the username or phone
        raise AdminRefused(f"username '{username}' or phone {phones.national(e164)} is already taken") from None
    return CreatedAdmin(user_id=user.id, username=username, organization_id=org.id, organization_created=created)
