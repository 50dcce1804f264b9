"""The error envelope for validation, unknown routes and unexpected exceptions (no traceback outside development)."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, Field

from clinicops.config import Settings
from clinicops.http.routing import new_router
from clinicops.main import create_app

SECRET_DETAIL = "kaboom-internal-detail-7f3a"


class Booking(BaseModel):
    clinician_id: int
    notes: str = Field(max_length=5)


def _app_with_probe_routes(env: str):
    """A fresh app (the session app fixture must not grow routes) with routes that validate and that crash."""
    app = create_app(Settings(env=env), run_worker=False)
    probe = new_router(prefix="/api/_probe")

    @probe.post("/validate")
    async def validate(body: Booking):
        return {"success": True, "data": body.model_dump()}

    @probe.get("/crash")
    async def crash():
        raise RuntimeError(SECRET_DETAIL)

    app.include_router(probe)
    return app


def _client(app) -> httpx.AsyncClient:
    # raise_app_exceptions=False: the server error middleware re-raises after answering, as under uvicorn.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_payload_validation_is_a_422_envelope_with_field_details(db):
    async with _client(_app_with_probe_routes("test")) as http:
        response = await http.post("/api/_probe/validate", json={"clinician_id": "abc", "notes": "too long"})
    assert response.status_code == 422
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    fields = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert set(fields) == {"clinician_id", "notes"}
    assert all(isinstance(m, str) and m for m in fields.values())
    assert body["message"] == body["error"]["message"]


async def test_malformed_json_is_a_422_envelope(db):
    async with _client(_app_with_probe_routes("test")) as http:
        response = await http.post("/api/_probe/validate", content=b"{not json",
                                   headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


async def test_unknown_route_and_wrong_method_use_the_envelope(client):
    missing = await client.get("/api/v1/definitely/not/here")
    assert missing.status_code == 404
    assert missing.json()["success"] is False and missing.json()["error"]["code"] == "NOT_FOUND"
    wrong = await client.delete("/api/health/live")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_unexpected_exception_is_a_500_envelope_without_internals(db):
    for env in ("test", "production"):
        async with _client(_app_with_probe_routes(env)) as http:
            response = await http.get("/api/_probe/crash")
        assert response.status_code == 500, env
        body = response.json()
        assert body == {"success": False, "message": body["message"],
                        "error": {"code": "INTERNAL_ERROR", "message": body["message"]}}
        assert SECRET_DETAIL not in response.text
        assert "Traceback" not in response.text and "RuntimeError" not in response.text
        assert response.headers["x-request-id"]


async def test_a_database_starting_or_stopping_is_a_503_with_retry_after_not_a_500():
    """SQLSTATE classes 08 (connection) and 57 (57P03 starting up, 57P01 shutting down), wrapped or raw."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError, InternalError

    app = create_app(Settings(env="staging"), run_worker=False)
    probe = new_router(prefix="/api/_probe")
    starting = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    stopping = asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
    lost = asyncpg.exceptions.ConnectionFailureError("connection failure")
    crowded = asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")
    constraint = asyncpg.exceptions.UniqueViolationError("duplicate key")

    @probe.get("/wrapped/{which}")
    async def wrapped(which: str):
        orig = {"starting": starting, "stopping": stopping, "lost": lost, "crowded": crowded,
                "unique": constraint}[which]
        raise InternalError("SELECT 1", {}, orig) if which != "unique" else DBAPIError("INSERT", {}, orig)

    @probe.get("/raw")
    async def raw():
        raise starting

    app.include_router(probe)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://testserver") as http:
        for which in ("starting", "stopping", "lost", "crowded"):
            response = await http.get(f"/api/_probe/wrapped/{which}")
            assert response.status_code == 503, (which, response.text)
            assert response.headers["retry-after"] and response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        raw_response = await http.get("/api/_probe/raw")
        assert raw_response.status_code == 503 and raw_response.headers["retry-after"]
        assert raw_response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        # A real data problem is still not dressed up as an outage.
        assert (await http.get("/api/_probe/wrapped/unique")).status_code == 409


async def test_error_text_a_front_desk_can_act_on(client):
    broken = await client.post("/api/auth/login/username-password", content=b'{"username": "a", "password": ',
                               headers={"content-type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["error"]["details"][0]["field"] == "body"
    assert "not valid JSON" in broken.json()["message"] and "decode error" not in broken.json()["message"]

    for raw, name in ((b'{"username": NaN, "password": "x"}', "NaN"),
                      (b'{"username": Infinity, "password": "x"}', "Infinity"),
                      (b'{"username": -Infinity, "password": "x"}', "Infinity")):
        response = await client.post("/api/auth/login/username-password", content=raw,
                                     headers={"content-type": "application/json"})
        assert response.status_code == 422
        detail = response.json()["error"]["details"][0]
        assert detail["field"] == "username" and name in detail["message"], response.text

    for path, field in (("/api/clinicians/abc", "clinician_id"), ("/api/centres/1x", "centre_id"),
                        ("/api/appointments/abc/history", "appointment_id")):
        response = await client.get(path)
        assert response.status_code == 422, (path, response.text)
        detail = response.json()["error"]["details"][0]
        assert detail["field"] == field and "whole number" in detail["message"]
    assert (await client.get("/api/clinicians/abc/nothing-like-this")).status_code == 404
    assert (await client.get("/api/no-such-thing/abc")).status_code == 404
