"""The request pipeline: error envelope, request ids, security headers, body cap, CORS."""

from __future__ import annotations

import httpx
import pytest


async def test_unknown_route_is_a_404_envelope(client):
    response = await client.get("/api/no-such-thing")
    assert response.status_code == 404
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "NOT_FOUND"
    assert body["message"] == body["error"]["message"]


async def test_wrong_method_is_a_405_envelope(client):
    response = await client.post("/api/health/live")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_health_reports_database_and_jobs(client, db):
    from sqlalchemy import text

    await db.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))  # a worker that just reported
    response = await client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy" and body["database"] == "connected" and body["jobs"] == "running"
    assert set(body["data"]) == {"status", "timestamp", "database", "jobs", "jobsHeartbeatAgeSeconds", "version",
                                 "uptime"}


async def test_request_id_is_echoed_or_made(client):
    mine = await client.get("/api/health/live", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    made = await client.get("/api/health/live", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 32


async def test_security_headers(client):
    response = await client.get("/api/health/live")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_a_chunked_body_over_the_cap_is_413_and_a_small_one_is_read(client, app):
    cap = app.state.settings.max_body_bytes

    async def chunks(total: int, size: int = 64 * 1024):
        sent = 0
        while sent < total:
            piece = min(size, total - sent)
            sent += piece
            yield b" " * piece

    too_big = await client.post("/api/auth/login/username-password", content=chunks(cap + 1),
                                headers={"content-type": "application/json"})
    assert too_big.status_code == 413, too_big.text
    assert too_big.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"

    async def small():
        yield b'{"username": "nobody",'
        yield b' "password": "Wrong-password-1"}'

    read = await client.post("/api/auth/login/username-password", content=small(),
                             headers={"content-type": "application/json"})
    assert read.status_code == 401, read.text  # the body was parsed: wrong credentials, not a parse error


async def test_body_over_cap_is_413(client, app):
    big = b"x" * (app.state.settings.max_body_bytes + 1)
    response = await client.post("/api/health/live", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_cors_preflight_and_errors_carry_cors(client):
    pre = await client.options("/api/health/live", headers={
        "Origin": "https://admin.example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert pre.status_code == 200
    assert "authorization" in pre.headers["access-control-allow-headers"].lower()
    err = await client.get("/api/nope", headers={"Origin": "https://admin.example.com"})
    assert err.status_code == 404
    assert err.headers.get("access-control-allow-origin") in ("*", "https://admin.example.com")


async def _preflight(app, origin: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        return await http.options("/api/centres", headers={"Origin": origin, "Access-Control-Request-Method": "GET",
                                                           "Access-Control-Request-Headers": "authorization"})


@pytest.mark.parametrize(("env", "origin", "allowed"), [
    ("development", "http://localhost:5173", True),
    ("development", "http://127.0.0.1:3000", True),
    ("development", "http://[::1]:8080", True),
    ("development", "https://evil.example", False),
    ("development", "http://localhost.evil.example", False),
    ("staging", "http://localhost:5173", False),
    ("staging", "https://admin.example.com", False),
    ("production", "https://admin.example.com", False),
])
async def test_cors_default_allows_no_origin_outside_development_and_only_loopback_in_it(env, origin, allowed):
    from clinicops.config import Settings
    from clinicops.main import create_app

    settings = Settings(env=env, cors_origins=[], database_url="postgresql://unused@127.0.0.1/none")
    response = await _preflight(create_app(settings, run_worker=False), origin)
    assert (response.headers.get("access-control-allow-origin") == origin) is allowed, response.headers
    assert response.headers.get("access-control-allow-origin") != "*"


async def test_cors_listed_origins_and_the_total_count_header_are_exposed():
    from clinicops.config import Settings
    from clinicops.main import create_app

    settings = Settings(env="staging", cors_origins=["https://admin.example.com"])
    app = create_app(settings, run_worker=False)
    assert (await _preflight(app, "https://admin.example.com")).headers["access-control-allow-origin"] == \
        "https://admin.example.com"
    assert "access-control-allow-origin" not in (await _preflight(app, "https://other.example")).headers
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        response = await http.get("/api/health/live", headers={"Origin": "https://admin.example.com"})
    assert "x-total-count" in response.headers["access-control-expose-headers"].lower()


async def test_every_response_tells_browsers_and_proxies_not_to_store_it(client, db):
    from tests.builders.auth import served_org
    from tests.builders.people import bearer, make_staff

    org = await served_org(db)
    admin = await make_staff(db, org=org, role="ADMIN")
    for path in ("/api/patients", "/api/appointments", "/api/auth/me", "/api/nope"):
        response = await client.get(path, headers=bearer(admin))
        assert response.headers["cache-control"] == "no-store", path
