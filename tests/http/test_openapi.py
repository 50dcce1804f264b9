"""The OpenAPI schema and /docs: the bearer scheme on protected operations only, every query parameter a route
reads (also those parsed by hand), each handler once under its documented path, and a docs page that loads
nothing from outside the app — while the API answers exactly as before."""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from datetime import date, timedelta

import httpx
import pytest

from clinicops.config import Settings
from clinicops.http.hospital.aliases import ALIASES
from clinicops.http.openapi import ASSETS_URL, schema_routes
from clinicops.main import create_app
from tests.builders.people import bearer, make_staff

GARBAGE = {"Authorization": "Bearer not-a-jwt"}


@pytest.fixture(scope="module")
def schema(app) -> dict:
    return app.openapi()


def operation(schema: dict, method: str, path: str) -> dict:
    return schema["paths"][path][method.lower()]


def query(schema: dict, method: str, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in operation(schema, method, path).get("parameters", []) if p["in"] == "query"}


# --- 1. the bearer scheme --------------------------------------------------------------------------------------------

def test_the_schema_declares_a_jwt_bearer_scheme(schema):
    scheme = schema["components"]["securitySchemes"]["HTTPBearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and scheme["bearerFormat"] == "JWT"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/patients"), ("GET", "/api/appointments"), ("POST", "/api/payments/create-order"),
    ("GET", "/api/patient/profile"), ("GET", "/api/appointments/availability"), ("GET", "/api/auth/me"),
])
def test_protected_operations_require_the_bearer_token(schema, method, path):
    assert {"HTTPBearer": []} in operation(schema, method, path)["security"]


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/health"), ("GET", "/api/clinicians"), ("GET", "/api/clinicians/{clinician_id}"),
    ("GET", "/api/centres"), ("GET", "/api/booking/available-slots"), ("GET", "/api/booking/dates-with-slots"),
    ("POST", "/api/patient-auth/send-otp"), ("POST", "/api/patient-auth/verify-otp"),
    ("POST", "/api/auth/login/phone-password"), ("POST", "/api/payments/webhook"),
    ("POST", "/api/webhooks/whatsapp/meta"),
])
def test_public_operations_declare_no_security(schema, method, path):
    assert "security" not in operation(schema, method, path)


def test_every_operation_that_needs_a_token_says_so(app, schema):
    """The dependency that reads the token declares the scheme, so no protected route can be missed: every route
    whose dependencies include it carries it, and no other."""
    from clinicops.http.deps import BEARER

    def reads_token(dependant) -> bool:
        return dependant.call is BEARER or any(reads_token(d) for d in dependant.dependencies)

    for route in schema_routes(app):
        for method in route.methods:
            declared = "security" in schema["paths"][route.path_format][method.lower()]
            assert declared == reads_token(route.dependant), (method, route.path_format)


# --- 2. query parameters ---------------------------------------------------------------------------------------------

def test_the_public_slot_reads_declare_what_they_parse_by_hand(schema):
    slots = query(schema, "GET", "/api/booking/available-slots")
    assert slots["clinicianId"]["required"] is True and slots["clinicianId"]["schema"]["type"] == "integer"
    assert slots["clinician_id"]["schema"]["type"] == "integer" and not slots["clinician_id"]["required"]
    assert slots["centreId"]["required"] is True and "centre_id" in slots
    assert slots["date"]["schema"] == {"type": "string", "format": "date"} and slots["date"]["required"] is True
    assert slots["mode"]["schema"]["enum"] == ["IN_PERSON", "ONLINE"]
    dates = query(schema, "GET", "/api/booking/dates-with-slots")
    assert {"startDate", "start_date", "endDate", "end_date"} <= set(dates)
    assert dates["startDate"]["schema"]["format"] == "date" and dates["startDate"]["required"] is True
    grid = query(schema, "GET", "/api/clinicians/{clinician_id}/slots")
    assert grid["date"]["required"] is True and grid["centreId"]["required"] is False


def test_the_staff_appointment_list_declares_its_filters(schema):
    params = query(schema, "GET", "/api/appointments")
    assert {"date", "from", "to", "startDate", "end_date", "centreId", "centre_id", "clinicianId", "clinician_id",
            "patientId", "patient_id", "status", "limit", "offset"} <= set(params)
    assert {"BOOKED", "CONFIRMED", "CANCELLED", "ALL"} <= set(params["status"]["schema"]["enum"])
    assert params["from"]["schema"]["format"] == "date" and params["centreId"]["schema"]["type"] == "integer"


def test_model_parsed_queries_declare_every_accepted_name(schema):
    directory = query(schema, "GET", "/api/clinicians")
    assert {"centreId", "centre_id", "city", "specialization", "specialty", "mode", "consultationMode", "search",
            "q", "includeInactive", "include_inactive", "limit", "offset"} <= set(directory)
    assert directory["includeInactive"]["schema"]["type"] == "boolean"
    assert directory["mode"]["schema"]["enum"] == ["IN_PERSON", "ONLINE", "BOTH"]
    assert directory["centreId"]["schema"]["type"] == "integer"
    blocked = query(schema, "GET", "/api/admin/slots/blocked")
    assert blocked["type"]["schema"]["enum"] == ["UNAVAILABLE", "EXTRA"] and "kind" in blocked
    assert blocked["from"]["schema"]["format"] == "date" and "startDate" in blocked
    delete = query(schema, "DELETE", "/api/clinicians/{clinician_id}/slot-exceptions")
    assert {"exceptionId", "exception_id", "date", "startTime"} <= set(delete)


def test_fixed_vocabularies_are_enums(schema):
    assert "CENTRE_MANAGER" in query(schema, "GET", "/api/users")["role"]["schema"]["enum"]
    assert "SUCCESS" in query(schema, "GET", "/api/payments/history")["status"]["schema"]["enum"]
    assert "DELIVERED" in query(schema, "GET", "/api/notifications/history")["status"]["schema"]["enum"]
    assert "BOOKED" in query(schema, "GET", "/api/patient/appointments")["status"]["schema"]["enum"]
    assert "BOOKED" in query(schema, "GET", "/api/booking/my-appointments")["status"]["schema"]["enum"]


def test_every_query_parameter_has_a_type_and_a_unique_name(schema):
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            assert len(names) == len(set(names)), (method, path)
            for p in op.get("parameters", []):
                assert {"type", "anyOf", "enum"} & set(p["schema"]), (method, path, p["name"])


# --- 3. each handler once, under its documented path -----------------------------------------------------------------

def test_no_alias_path_is_in_the_schema(schema):
    paths = set(schema["paths"])
    for alias in set(ALIASES.values()):
        assert "/api" + alias.replace(":int}", "}") not in paths
    assert not [p for p in paths if p.startswith(("/api/clinicians/clinicians", "/api/users/clinicians"))]
    assert "/api/payment/send-link" not in paths
    assert {"/api/clinicians", "/api/clinicians/{clinician_id}", "/api/clinicians/{clinician_id}/slots",
            "/api/clinicians/{clinician_id}/slot-exceptions", "/api/payments/create-order"} <= paths


def test_every_handler_is_one_operation(app):
    seen = Counter(route.endpoint for route in schema_routes(app) for _ in route.methods)
    assert [endpoint.__name__ for endpoint, count in seen.items() if count > 1] == []


def test_documented_methods_are_the_ones_shown(schema):
    assert set(schema["paths"]["/api/appointments/{appointment_id}"]) == {"get", "put", "delete"}
    assert set(schema["paths"]["/api/appointments/{appointment_id}/status"]) == {"patch"}
    assert set(schema["paths"]["/api/appointments/{appointment_id}/reschedule"]) == {"post"}
    assert "/api/appointments/{appointment_id}/cancel" not in schema["paths"]


async def test_hidden_paths_are_still_served(client, db, clinic):
    for path in ("/api/clinicians/clinicians", "/api/users/clinicians",
                 f"/api/users/clinicians/{clinic.clinician.id}", f"/api/clinicians/clinicians/{clinic.clinician.id}"):
        assert (await client.get(path)).status_code == 200, path


# --- 4. /docs without a CDN ------------------------------------------------------------------------------------------

async def test_docs_load_only_local_assets(client):
    response = await client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(url.startswith(ASSETS_URL + "/") for url in urls), urls
    assert "'/openapi.json'" in page and '"persistAuthorization": true' in page

    assets = {"swagger-ui-bundle.js": "javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}
    for name, kind in assets.items():
        asset = await client.get(f"{ASSETS_URL}/{name}")
        assert asset.status_code == 200, name
        assert kind in asset.headers["content-type"], (name, asset.headers["content-type"])
        assert len(asset.content) > 1000
    assert (await client.get(f"{ASSETS_URL}/../__init__.py")).status_code == 404


async def test_the_docs_page_allows_only_itself(client):
    response = await client.get("/docs")
    csp = response.headers["content-security-policy"]
    assert "http" not in csp and "'unsafe-eval'" not in csp and "default-src 'none'" in csp
    inline = re.search(r"<script>(.*?)</script>", response.text, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}'" in csp


async def test_no_docs_in_production():
    app = create_app(Settings(env="production"), run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        for path in ("/docs", "/openapi.json", f"{ASSETS_URL}/swagger-ui-bundle.js", "/redoc"):
            assert (await http.get(path)).status_code == 404, path


# --- behaviour unchanged ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer null"}, GARBAGE, {"Authorization": "Basic eA=="}])
async def test_protected_routes_still_answer_our_401_envelope(client, headers):
    response = await client.get("/api/patients", headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "UNAUTHORIZED" and body["message"]
    expected = "Authentication required" if not headers else "Invalid or expired token"
    assert body["message"] == expected


async def test_public_routes_still_ignore_a_stale_token(client, db, clinic):
    day = (date.today() + timedelta(days=7)).isoformat()
    slots = f"/api/booking/available-slots?clinicianId={clinic.clinician.id}&centreId={clinic.centre.id}&date={day}"
    for path in ("/api/health/live", "/api/clinicians", f"/api/clinicians/{clinic.clinician.id}", "/api/centres",
                 slots):
        response = await client.get(path, headers=GARBAGE)
        assert response.status_code == 200, (path, response.text)


async def test_a_valid_token_still_signs_in(client, db, clinic):
    admin = await make_staff(db, org=clinic.org, role="ADMIN")
    assert (await client.get("/api/patients", headers=bearer(admin))).status_code == 200
    assert (await client.get("/api/auth/me", headers=bearer(admin))).status_code == 200


async def test_hand_parsed_queries_keep_their_messages(client, db, clinic):
    response = await client.get("/api/booking/available-slots", params={"centreId": clinic.centre.id})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "clinicianId"
    assert "clinicianId is required" in response.json()["message"]
