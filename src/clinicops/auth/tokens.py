"""Signed access and refresh tokens: separate secrets, pinned algorithm, iss/aud/typ checked.

The payload is a token format, like a provider's, and it is spelled in this module only: the registered claims
(``sub``, ``iss``, ``aud``, ``iat``, ``exp``, ``jti``), our short ones (``typ``, ``ver``, ``sid``) and, in
:data:`CLAIMS`, the names under which the access token tells its reader who it describes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from clinicops.config import Settings
from clinicops.kit.timezones import utcnow

ALGORITHM = "HS256"


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class ClaimNames:
    """Where the access token puts what its reader may show (the database stays the authority on each request)."""

    user_id: str
    user_type: str
    roles: str
    organization_id: str
    clinician_id: str
    patient_id: str


# The names hospital-api-reference.md documents for the token ("Payload used by the admin panel: userId,
# userType, roles, clinicianId"), which the sign-in tests hold it to; the shipped front ends do not decode the
# token today, but the chain's documents promise these names, so they stay. Every access token carries them.
CLAIMS = ClaimNames(user_id="userId", user_type="userType", roles="roles", organization_id="organizationId",
                    clinician_id="clinicianId", patient_id="patientId")


@dataclass(frozen=True)
class ClinicClaimNames:
    user_id: str
    clinic_id: str
    whatsapp_number: str
    doctor_id: str
    role: str
    permissions: str
    patient_access_scope: str


# A clinic session's token adds the payload of the clinic guide (section 3.2), under its names and with ids
# spelled as that surface spells them ("usr_3", "clinic_12", "doc_7"; tests/clinic/test_sign_in.py holds the
# prefixes to the surface's).
CLINIC_CLAIMS = ClinicClaimNames(user_id="user_id", clinic_id="clinic_id", whatsapp_number="whatsapp_number",
                                 doctor_id="doctor_id", role="role", permissions="permissions",
                                 patient_access_scope="patient_access_scope")
CLINIC_ID_PREFIXES = {"user": "usr", "clinic": "clinic", "doctor": "doc"}


@dataclass(frozen=True)
class ClinicSubject:
    """What a clinic session's access token says of its user (section 3.2)."""

    user_id: int
    clinic_id: int
    role: str  # ADMIN or DOCTOR
    doctor_id: int | None
    whatsapp_number: str
    permissions: tuple[str, ...]
    patient_access_scope: str  # CLINIC_ALL or DOCTOR_OWN


@dataclass(frozen=True)
class Subject:
    """Who a session's access token describes."""

    roles: list[str]
    organization_id: int | None
    clinician_id: int | None = None
    patient_id: int | None = None
    clinic: ClinicSubject | None = None  # a clinic session's user


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    user_type: str
    token_version: int
    session_family: str | None
    raw: dict[str, Any]


def _encode(claims: dict[str, Any], secret: str) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _decode(token: str, secret: str, settings: Settings, typ: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], audience=settings.jwt_audience, issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "iss", "aud", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if claims.get("typ") != typ:
        raise InvalidToken("wrong token type")
    return claims


def _described(subject: Subject | None) -> dict[str, Any]:
    if subject is None:
        return {}
    claims: dict[str, Any] = {CLAIMS.roles: subject.roles, CLAIMS.organization_id: subject.organization_id}
    if subject.clinician_id is not None:
        claims[CLAIMS.clinician_id] = subject.clinician_id
    if subject.patient_id is not None:
        claims[CLAIMS.patient_id] = subject.patient_id
    if subject.clinic is not None:
        claims.update(_clinic_claims(subject.clinic))
    return claims


def _clinic_claims(clinic: ClinicSubject) -> dict[str, Any]:
    names, prefix = CLINIC_CLAIMS, CLINIC_ID_PREFIXES
    return {
        names.user_id: f"{prefix['user']}_{clinic.user_id}",
        names.clinic_id: f"{prefix['clinic']}_{clinic.clinic_id}",
        names.whatsapp_number: clinic.whatsapp_number,
        names.doctor_id: f"{prefix['doctor']}_{clinic.doctor_id}" if clinic.doctor_id is not None else None,
        names.role: clinic.role,
        names.permissions: list(clinic.permissions),
        names.patient_access_scope: clinic.patient_access_scope,
    }


def issue_access_token(settings: Settings, *, user_id: int, user_type: str, token_version: int,
                       session_family: str | None, subject: Subject | None = None) -> tuple[str, datetime]:
    now = utcnow()
    expires_at = now + timedelta(seconds=settings.jwt_access_ttl)
    claims = {
        **_described(subject),
        "sub": str(user_id), "typ": "access", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()), "jti": secrets.token_hex(8),
        "ver": token_version, "sid": session_family, CLAIMS.user_id: user_id, CLAIMS.user_type: user_type,
    }
    return _encode(claims, settings.jwt_access_secret), expires_at


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    claims = _decode(token, settings.jwt_access_secret, settings, "access")
    try:
        return AccessClaims(user_id=int(claims["sub"]), user_type=str(claims.get(CLAIMS.user_type, "")),
                            token_version=int(claims.get("ver", 0)), session_family=claims.get("sid"), raw=claims)
    except (TypeError, ValueError) as exc:
        raise InvalidToken("malformed claims") from exc


def issue_refresh_token(settings: Settings, *, user_id: int, session_family: str,
                        expires_at: datetime) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id), "typ": "refresh", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
        "iat": int(now.timestamp()), "exp": int(expires_at.timestamp()), "sid": session_family,
        "jti": secrets.token_urlsafe(24),
    }
    return _encode(claims, settings.jwt_refresh_secret)


def decode_refresh_token(settings: Settings, token: str) -> dict[str, Any]:
    return _decode(token, settings.jwt_refresh_secret, settings, "refresh")


def token_hash(token: str) -> str:
    """Refresh tokens are stored only as this digest (they are long random values, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
