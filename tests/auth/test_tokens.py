"""Bad access tokens: 401 on a protected route, ignored on a public one (the clients log out on any 401)."""

from __future__ import annotations

import base64
import json
import warnings
from datetime import timedelta

import jwt
import pytest

from clinicops.auth import tokens
from clinicops.config import get_settings
from clinicops.kit.timezones import utcnow
from tests.builders.auth import auth, served_org, staff_sign_in
from tests.builders.people import make_staff, next_phone


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: int, **overrides) -> dict:
    settings = get_settings()
    now = utcnow()
    claims = {"sub": str(user_id), "typ": "access", "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(minutes=5)).timestamp()), "ver": 0,
              "sid": None, "userId": user_id, "userType": "STAFF"}
    claims.update(overrides)
    return claims


def _hs512(claims: dict, secret: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a short key for HS512: irrelevant, the algorithm must be refused anyway
        return jwt.encode(claims, secret, algorithm="HS512")


def bad_tokens(user_id: int) -> dict[str, str]:
    settings = get_settings()
    sign = lambda claims, secret=settings.jwt_access_secret: jwt.encode(claims, secret, algorithm="HS256")  # noqa
    past = int((utcnow() - timedelta(minutes=1)).timestamp())
    return {
        "expired": sign(_claims(user_id, exp=past)),
        "garbled": "eyJhbGciOiJIUzI1NiJ9.not-a-token.at-all",
        "wrong_audience": sign(_claims(user_id, aud="someone-else")),
        "wrong_issuer": sign(_claims(user_id, iss="someone-else")),
        "wrong_typ": sign(_claims(user_id, typ="refresh")),
        "refresh_secret": sign(_claims(user_id), settings.jwt_refresh_secret),
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user_id))}.",
        "other_alg": _hs512(_claims(user_id), settings.jwt_access_secret),
        "stale_version": sign(_claims(user_id, ver=7)),
        "null": "null",
    }


@pytest.mark.parametrize("kind", list(bad_tokens(1)))
async def test_bad_token_is_401_on_protected_and_ignored_on_public(client, db, kind):
    org = await served_org(db)
    user = await make_staff(db, org=org)
    token = bad_tokens(user.id)[kind]
    protected = await client.get("/api/auth/me", headers=auth(token))
    assert protected.status_code == 401, kind
    assert protected.json()["error"]["code"] == "UNAUTHORIZED"
    public = await client.post("/api/patient-auth/send-otp", json={"phone": next_phone()}, headers=auth(token))
    assert public.status_code == 200, kind


async def test_the_good_token_of_the_same_shape_passes(client, db):
    """Guards the test above: the same claims, properly signed, are accepted."""
    org = await served_org(db)
    user = await make_staff(db, org=org)
    token = jwt.encode(_claims(user.id), get_settings().jwt_access_secret, algorithm="HS256")
    assert (await client.get("/api/auth/me", headers=auth(token))).status_code == 200


async def test_refresh_token_is_not_an_access_token_and_vice_versa(client, db):
    org = await served_org(db)
    await make_staff(db, org=org, username="swap")
    data = await staff_sign_in(client, "swap")
    assert (await client.get("/api/auth/me", headers=auth(data["refreshToken"]))).status_code == 401
    response = await client.post("/api/auth/refresh", json={"refreshToken": data["accessToken"]})
    assert response.status_code == 401


async def test_optional_principal_ignores_a_bad_token(app, db):
    """The dependency public reads use: a stale token is treated as no token."""
    import httpx
    from fastapi import Depends, FastAPI

    from clinicops.http import errors
    from clinicops.http.deps import optional_principal
    from clinicops.http.routing import new_router

    router = new_router()

    @router.get("/whoami")
    async def whoami(principal=Depends(optional_principal)):
        return {"userId": principal.user_id if principal else None}

    probe = FastAPI()
    errors.install(probe)
    probe.include_router(router)
    org = await served_org(db)
    user = await make_staff(db, org=org)
    good = tokens.issue_access_token(get_settings(), user_id=user.id, user_type="STAFF", token_version=0,
                                     session_family=None)[0]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=probe), base_url="http://t") as http:
        assert (await http.get("/whoami", headers=auth(good))).json() == {"userId": user.id}
        for kind, token in bad_tokens(user.id).items():
            response = await http.get("/whoami", headers=auth(token))
            assert response.status_code == 200 and response.json() == {"userId": None}, kind
