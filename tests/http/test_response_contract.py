"""Every route declares the body it answers with, and the checker that holds every test's responses to it
(tests/contract.py, installed on the ``client`` fixture) catches what it must: a wrong type, an undeclared or a
missing field, an undocumented status, an error outside the envelope."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse
from fastapi.routing import APIRoute, iter_route_contexts

from clinicops.http.hospital.schemas.centres import Centre
from clinicops.http.hospital.schemas.payments import RegistrationFeeStatus
from clinicops.http.responses import Done, Envelope
from tests import contract
from tests.builders.appointments import make_world, web_body
from tests.builders.people import bearer
from tests.contract import check_response

NOT_JSON = (HTMLResponse, FileResponse, PlainTextResponse)


def api_routes(app) -> list[Any]:
    """Every API route of the app, also the ones hidden from the schema (aliases, development pages)."""
    return [route for route in iter_route_contexts(app.routes) if isinstance(route.original_route, APIRoute)]


def answers_json(route) -> bool:
    chosen = getattr(route.response_class, "value", route.response_class)  # a DefaultPlaceholder holds the class
    return not (isinstance(chosen, type) and issubclass(chosen, NOT_JSON))


@pytest.fixture(scope="module")
def schema(app) -> dict:
    return app.openapi()


# --- every route declares its body -----------------------------------------------------------------------------------

def test_every_json_route_declares_its_response_model(app):
    routes = api_routes(app)
    assert len(routes) > 150  # the hospital surface with its aliases: a broken enumeration would pass vacuously
    missing = sorted(f"{method} {route.path_format}" for route in routes if answers_json(route)
                     and route.response_model is None for method in route.methods)
    assert missing == []


def test_routes_that_answer_no_json_say_what_they_answer(app, schema):
    """A page, a picture or a plain-text echo has no model; its response class says so, and the schema shows the
    media type."""
    other = [route for route in api_routes(app) if not answers_json(route)]
    assert {route.path_format for route in other} >= {"/api/uploads/clinicians/{name}", "/api/webhooks/whatsapp/meta",
                                                      "/api/payments/link-callback", "/docs"}
    picture = schema["paths"]["/api/uploads/clinicians/{name}"]["get"]["responses"]["200"]["content"]
    assert set(picture) == {"image/jpeg", "image/png", "image/webp"}
    echo = schema["paths"]["/api/webhooks/whatsapp/meta"]["get"]["responses"]
    assert "text/plain" in echo["200"]["content"] and "application/json" in echo["4XX"]["content"]


def test_aliases_declare_the_model_of_their_canonical_route(app):
    by_endpoint: dict[Any, set[Any]] = {}
    for route in api_routes(app):
        if answers_json(route):
            by_endpoint.setdefault(route.endpoint, set()).add(route.response_model)
    assert [endpoint.__name__ for endpoint, models in by_endpoint.items() if len(models) > 1] == []


# --- OpenAPI shows it ------------------------------------------------------------------------------------------------

def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def test_every_operation_documents_its_success_body(schema):
    for method, path, operation in operations(schema):
        success = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
        assert len(success) >= 1, (method, path)
        for code, answer in success.items():
            content = answer.get("content", {})
            assert content and all(media.get("schema") for media in content.values()), (method, path, code)
            if "application/json" in content:
                assert "$ref" in content["application/json"]["schema"], (method, path, code)


def test_every_operation_documents_the_error_envelope(schema):
    error = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for method, path, operation in operations(schema):
        for code in ("4XX", "5XX"):
            assert operation["responses"][code]["content"]["application/json"]["schema"] == error, (method, path)
    # FastAPI's own 422 body is never sent (validation errors use the envelope), so it is not documented
    assert not {"HTTPValidationError", "ValidationError"} & set(schema["components"]["schemas"])


def test_creations_document_201(schema):
    for method, path in (("POST", "/api/patients"), ("POST", "/api/appointments"), ("POST", "/api/booking/create"),
                         ("POST", "/api/centres"), ("POST", "/api/users"), ("POST", "/api/clinicians"),
                         ("POST", "/api/payments/create-order"), ("POST", "/api/admin/slots/block")):
        assert set(c for c in schema["paths"][path][method.lower()]["responses"] if c.startswith("2")) == {"201"}


def test_the_schema_names_fields_as_they_go_out(schema):
    parts = schema["components"]["schemas"]
    centre = parts["Centre"]
    assert {"addressLine1", "address_line_1", "contactPhone", "contact_phone", "isActive", "is_active"} <= set(
        centre["properties"])
    assert centre["additionalProperties"] is False and "addressLine1" in centre["required"]
    patient = parts["Patient"]["properties"]
    assert patient["id"]["type"] == "integer" and patient["userId"]["type"] == "integer"
    assert parts["Payment"]["properties"]["amount"]["type"] == "number"
    assert parts["Order"]["properties"]["amount"]["type"] == "integer"  # paise, for Razorpay Checkout
    status = parts["StaffAppointment"]["properties"]["status"]
    assert {"BOOKED", "CONFIRMED", "CANCELLED", "COMPLETED"} <= set(status["enum"])
    start = parts["StaffAppointment"]["properties"]["scheduled_start_at"]["anyOf"][0]
    assert start == {"type": "string", "format": "date-time"}
    envelope = parts["Envelope_Centre_"]
    assert envelope["required"] == ["success", "data"] and envelope["properties"]["success"]["const"] is True


# --- the checker catches what it must --------------------------------------------------------------------------------

CENTRE = {"id": 7, "name": "Indiranagar", "city": "bangalore", "address": "1 MG Road", "addressLine1": "1 MG Road",
          "addressLine2": None, "address_line_1": "1 MG Road", "address_line_2": None, "pincode": "560038",
          "phone": "9800000000", "contactPhone": "9800000000", "contact_phone": "9800000000",
          "timezone": "Asia/Kolkata", "isActive": True, "is_active": True, "isDeleted": False,
          "createdAt": "2026-01-15T10:00:00+05:30", "updatedAt": "2026-01-15T10:00:00+05:30"}
SCOPE = {"method": "GET", "path": "/api/centres/7"}
JSON = {"content-type": "application/json"}


def route(model: Any = Envelope[Centre], status_code: int | None = None, responses: dict | None = None) -> Any:
    """A stand-in for the route context FastAPI leaves in the request scope."""
    return SimpleNamespace(response_model=model, status_code=status_code, path_format="/api/centres/{centre_id}",
                           responses=responses or {})


def answer(the_route: Any, status: int, body: Any, headers: dict[str, str] = JSON) -> str | None:
    scope = {**SCOPE, "fastapi": {"effective_route_context": the_route}} if the_route is not None else SCOPE
    return check_response(scope, status, headers, json.dumps(body).encode())


def test_a_body_that_fits_passes():
    assert answer(route(), 200, {"success": True, "data": CENTRE}) is None
    assert answer(route(), 200, {"success": True, "data": CENTRE, "message": "Centre updated"}) is None
    assert answer(route(Done), 200, {"success": True, "data": None, "message": "Centre deleted"}) is None


@pytest.mark.parametrize(("change", "expected"), [
    ({"id": "7"}, "data.id: Input should be a valid integer"),  # an id rendered as a string
    ({"isActive": "true"}, "data.isActive: Input should be a valid boolean"),
    ({"createdAt": "2026-01-15T10:00:00"}, "data.createdAt: Input should have timezone info"),
    ({"region": "south"}, "data.region: Extra inputs are not permitted"),  # a field the contract does not name
])
def test_a_body_that_does_not_fit_is_reported(change, expected):
    found = answer(route(), 200, {"success": True, "data": {**CENTRE, **change}})
    assert found is not None and expected in found
    assert found.startswith("GET /api/centres/{centre_id} -> 200: the body does not fit Envelope[Centre]")


def test_a_missing_field_and_money_as_text_are_reported():
    missing = {k: v for k, v in CENTRE.items() if k != "address_line_1"}
    assert "data.address_line_1: Field required" in answer(route(), 200, {"success": True, "data": missing})
    fee = {"hasPaidRegistrationFee": False, "registrationFee": "100", "registrationFeeDue": 100, "paidAt": None}
    found = answer(route(Envelope[RegistrationFeeStatus]), 200, {"success": True, "data": fee})
    assert "data.registrationFee: Input should be a valid number" in found


def test_a_success_status_the_route_does_not_document_is_reported():
    assert "status 201 is not documented" in answer(route(), 201, {"success": True, "data": CENTRE})
    assert answer(route(status_code=201), 201, {"success": True, "data": CENTRE}) is None
    also_200 = route(status_code=201, responses={200: {"model": Envelope[Centre]}})
    assert answer(also_200, 200, {"success": True, "data": CENTRE}) is None


def test_errors_must_be_the_envelope():
    good = {"success": False, "message": "Centre not found", "error": {"code": "NOT_FOUND",
                                                                        "message": "Centre not found"}}
    assert answer(route(), 404, good) is None
    assert answer(None, 404, good) is None  # no route matched: still the envelope
    assert "does not fit ErrorEnvelope" in answer(route(), 404, {"detail": "Not Found"})
    assert "does not fit ErrorEnvelope" in answer(None, 405, {"detail": "Method Not Allowed"})
    assert "answered 'text/plain" in answer(route(), 500, "boom", {"content-type": "text/plain"})
    details = {**good, "error": {**good["error"], "details": [{"field": "status", "message": "no"}]}}
    assert answer(route(), 409, details) is None


def test_a_route_without_a_model_may_answer_only_a_page_or_a_file():
    assert "declares no response_model" in answer(route(None), 200, {"success": True, "data": 1})
    assert answer(route(None), 200, "<p>hi</p>", {"content-type": "text/html; charset=utf-8"}) is None
    assert answer(route(), 200, "<p>hi</p>", {"content-type": "text/html"}).endswith("answered 'text/html'")


def test_mismatches_fail_once_naming_each_response():
    """What conftest's hook calls after each test: it raises with every mismatch the test's requests produced."""
    contract.reset_mismatches()
    contract._MISMATCHES.extend(["GET /api/x -> 200: the body does not fit Envelope[X]: data.id: ..."] * 2)
    with pytest.raises(AssertionError, match="do not fit their declared model:\n  GET /api/x -> 200[^\n]*$"):
        contract.check_mismatches()
    contract.check_mismatches()  # cleared once reported


# --- the routes the rest of the suite never answers 2xx on, answered here (so their models are checked) ----------

async def test_the_patient_portal_reads_fit_their_models(client, db):
    world = await make_world(db)
    headers = bearer(world.patient_user)
    booked = await client.post("/api/booking/create", json=web_body(world, hhmm="10:00"), headers=headers)
    assert booked.status_code == 201
    appointment_id = booked.json()["data"]["appointment"]["id"]
    for path in (f"/api/patient/appointments/{appointment_id}", f"/api/patient-dashboard/appointments/{appointment_id}",
                 "/api/patient/notifications/unread-count"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    assert (await client.get(f"/api/patient/appointments/{appointment_id}",
                             headers=headers)).json()["data"]["id"] == appointment_id
    read = await client.put("/api/patient/notifications/5/read", headers=headers)
    assert read.status_code == 200 and read.json()["data"] == {"id": 5, "is_read": True}
