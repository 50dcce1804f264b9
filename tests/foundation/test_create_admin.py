"""`clinicops create-admin`: a working ADMIN login for all centres, created without any HTTP surface."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from clinicops.auth.models import User, UserRole
from clinicops.auth.passwords import verify_password
from clinicops.config import get_settings
from clinicops.organizations.models import Organization
from tests.conftest import ROOT

PASSWORD = "S3cure-admin-pass"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "clinicops.cli", "create-admin", *args], env=dict(os.environ),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


async def _admin(factory, username: str):
    async with factory() as session:
        user = (await session.execute(select(User).where(User.username == username))).scalar_one()
        roles = (await session.execute(select(UserRole.role, UserRole.centre_id)
                                       .where(UserRole.user_id == user.id))).all()
        org = await session.get(Organization, user.organization_id)
        return user, [tuple(r) for r in roles], org


async def test_create_admin_creates_the_default_organization_and_a_working_login(committed):
    factory, client = committed
    result = _cli("--username", "chief", "--password", PASSWORD, "--phone", "98765 43210", "--name", "Chief Admin")
    assert result.returncode == 0, result.stderr
    user, roles, org = await _admin(factory, "chief")
    assert org.slug == get_settings().default_organization and org.kind == "CHAIN"
    # the organization's own rules start from the defaults: any city, no registration fee, 24 hours to cancel
    assert (org.cities, org.registration_fee_paise, org.free_cancellation_hours) == ([], 0, 24)
    assert user.user_type == "STAFF" and user.is_active and user.full_name == "Chief Admin"
    assert user.phone == "+919876543210"
    assert roles == [("ADMIN", None)]
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(PASSWORD, user.password_hash) and not verify_password("wrong", user.password_hash)

    login = await client.post("/api/auth/login/username-password", json={"username": "chief", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["data"]["user"]["role"] == "ADMIN" and login.json()["data"]["accessToken"]


async def test_create_admin_uses_an_existing_organization_and_refuses_duplicates(committed):
    factory, _client = committed
    async with factory() as session:
        session.add(Organization(slug="sunrise", name="Sunrise Clinic", kind="CLINIC"))
        await session.commit()
    first = _cli("--username", "owner", "--password", PASSWORD, "--phone", "9876500001", "--org", "sunrise")
    assert first.returncode == 0, first.stderr
    _user, _roles, org = await _admin(factory, "owner")
    assert org.slug == "sunrise" and org.kind == "CLINIC"

    same_username = _cli("--username", "OWNER", "--password", PASSWORD, "--phone", "9876500002", "--org", "sunrise")
    assert same_username.returncode != 0
    assert "already taken" in same_username.stderr and "Traceback" not in same_username.stderr
    same_phone = _cli("--username", "other", "--password", PASSWORD, "--phone", "9876500001", "--org", "sunrise")
    assert same_phone.returncode != 0
    assert "9876500001" in same_phone.stderr and "Traceback" not in same_phone.stderr
    async with factory() as session:
        users = (await session.execute(select(User.username).where(User.organization_id == org.id))).scalars().all()
    assert users == ["owner"]


def test_create_admin_rejects_a_bad_phone_or_short_password():
    bad_phone = _cli("--username", "admin.x1", "--password", PASSWORD, "--phone", "12345")
    assert bad_phone.returncode != 0 and "--phone" in bad_phone.stderr
    short = _cli("--username", "admin.x2", "--password", "short", "--phone", "9876500003")
    assert short.returncode != 0 and "--password" in short.stderr


def test_create_admin_applies_the_apis_rules_for_username_and_email():
    """The same rules as POST /api/users: a login the API would refuse is never created from the command line."""
    for username in ("ab", "has space", "x" * 51, "semi;colon"):
        refused = _cli("--username", username, "--password", PASSWORD, "--phone", "9876500004")
        assert refused.returncode == 1 and "--username" in refused.stderr, (username, refused.stderr)
    for email in ("not-an-email", "a@b", "two@@example.com"):
        refused = _cli("--username", "admin.mail", "--password", PASSWORD, "--phone", "9876500004", "--email", email)
        assert refused.returncode == 1 and "--email" in refused.stderr, (email, refused.stderr)
        assert "Traceback" not in refused.stderr


async def test_create_admin_refuses_an_unknown_org_unless_asked_to_create_it(committed):
    factory, _client = committed
    typo = _cli("--username", "typo.admin", "--password", PASSWORD, "--phone", "9876500005", "--org", "sunrize")
    assert typo.returncode == 1 and "--create-org" in typo.stderr and "sunrize" in typo.stderr
    async with factory() as session:
        assert (await session.execute(select(Organization).where(Organization.slug == "sunrize"))).first() is None
    made = _cli("--username", "new.admin", "--password", PASSWORD, "--phone", "9876500005", "--org", "new-clinic",
                "--create-org", "--email", "Owner@Example.COM")
    assert made.returncode == 0, made.stderr
    assert "organization created" in made.stdout
    user, _roles, org = await _admin(factory, "new.admin")
    assert org.slug == "new-clinic" and user.email == "Owner@example.com"


def test_a_malformed_database_url_is_one_line_without_a_traceback():
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICOPS_")}
    for url in ("postgresql://u@db:notaport/x", "mysql://u@db/x", "not a url"):
        result = subprocess.run([sys.executable, "-m", "clinicops.cli", "migrate"], capture_output=True, text=True,
                                env={**env, "CLINICOPS_DATABASE_URL": url}, cwd=ROOT, timeout=60)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "CLINICOPS_DATABASE_URL" in lines[0], result.stderr


def test_dev_and_serve_on_a_busy_port_say_so_before_any_banner(tmp_path):
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "CLINICOPS_DATA_DIR": str(tmp_path)}
        for command in ("dev", "serve"):
            result = subprocess.run([sys.executable, "-m", "clinicops.cli", command, "--port", str(port)],
                                    capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
            assert result.returncode == 1, result.stdout + result.stderr
            assert f"--port {port + 1}" in result.stderr and "already" in result.stderr
            assert result.stdout == "" and "Traceback" not in result.stderr
