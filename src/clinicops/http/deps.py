"""Request dependencies: the session, the caller, and route-level role requirements.

Routes are authenticated unless they ask for :func:`optional_principal` (public reads ignore a stale token,
because the shipped clients answer any 401 by logging the user out).

The bearer token of an authenticated route is read through :data:`BEARER`, so every operation that needs one
declares the ``HTTPBearer`` scheme in the OpenAPI schema (the Authorize button of /docs); public routes do not
read it that way and declare nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from clinicops.auth import service as auth
from clinicops.auth.tokens import InvalidToken, decode_access_token
from clinicops.authz.policies import Policy
from clinicops.authz.principal import Principal, Role
from clinicops.config import get_settings
from clinicops.errors import Forbidden, Unauthorized
from clinicops.kit.timezones import utcnow


async def get_db(request: Request) -> AsyncSession:
    return request.state.db


def client_ip(request: Request) -> str:
    """The caller's address; X-Forwarded-For is believed only from configured proxies."""
    peer = request.client.host if request.client else "unknown"
    trusted = get_settings().trusted_proxies
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and peer in trusted:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in trusted:
                return hop
    return peer


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or token in ("null", "undefined"):
        return ""
    return token


class _BearerToken(HTTPBearer):
    """The ``HTTPBearer`` scheme as OpenAPI shows it, reading the header by our rules: it never answers by itself
    (FastAPI's own would send its 403/401 without our envelope); the route decides what a missing token means."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return _bearer(request)


BEARER = _BearerToken(scheme_name="HTTPBearer", bearerFormat="JWT", auto_error=False, description=(
    "The `accessToken` of a sign-in (staff: POST /api/auth/login/..., patients: POST /api/patient-auth/verify-otp); "
    "valid 15 minutes, renewed with the refresh token."))


async def _resolve(request: Request, session: AsyncSession, token: str | None) -> Principal:
    if token is None:
        raise Unauthorized("Authentication required")
    if not token:
        raise Unauthorized("Invalid or expired token")
    resolved = getattr(request.state, "principal", None)
    if resolved is not None and getattr(request.state, "principal_token", None) == token:
        return resolved  # already checked in this request (the read-only guard runs before the route)
    try:
        claims = decode_access_token(get_settings(), token)
    except InvalidToken:
        raise Unauthorized("Invalid or expired token") from None
    identity = await auth.identity(session, claims.user_id, claims.session_family)
    if (identity is None or not identity.is_active or identity.is_deleted or not identity.session_live_at(utcnow())
            or identity.token_version != claims.token_version or identity.user_type != claims.user_type):
        raise Unauthorized("Invalid or expired token")
    role_centres: dict[Role, set[int] | None] = {}
    for name, centre_id in identity.roles:
        role = Role(name)
        if centre_id is None:
            role_centres[role] = None
        elif role_centres.get(role, set()) is not None:
            role_centres.setdefault(role, set()).add(centre_id)  # type: ignore[union-attr]
    principal = Principal(
        user_id=identity.user_id, user_type=identity.user_type, organization_id=identity.organization_id,
        roles=frozenset(role_centres), clinician_id=identity.clinician_id, patient_id=identity.patient_id,
        role_centres={r: (frozenset(c) if c is not None else None) for r, c in role_centres.items()},
        full_name=identity.full_name, session_family=claims.session_family,
        organization_kind=identity.organization_kind, must_change_password=identity.must_change_password,
    )
    request.state.principal, request.state.principal_token = principal, token
    return principal


async def current_principal(request: Request, token: str | None = Depends(BEARER),
                            session: AsyncSession = Depends(get_db)) -> Principal:
    return await _resolve(request, session, token)


async def optional_principal(request: Request, session: AsyncSession = Depends(get_db)) -> Principal | None:
    token = _bearer(request)
    if token is None:
        return None
    try:
        return await _resolve(request, session, token)
    except Unauthorized:
        return None


def require(*policies: Policy | Role) -> Callable[..., Principal]:
    """Staff allowed by any of ``policies`` (the named permissions of ``authz.policies``; a bare role is a policy of
    that one role); none given: any staff member."""
    allowed = frozenset(role for policy in policies
                        for role in (policy.roles if isinstance(policy, Policy) else (policy,)))

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        if not principal.is_staff:
            raise Forbidden("This endpoint is for staff")
        if allowed and not principal.has(*allowed):
            raise Forbidden("Your role does not allow this")
        return principal

    return dependency


async def require_patient(principal: Principal = Depends(current_principal)) -> Principal:
    if not principal.is_patient or principal.patient_id is None:
        raise Forbidden("This endpoint is for patients")
    return principal
