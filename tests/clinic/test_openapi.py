"""OpenAPI shows the clinic surface apart from the hospital one: every /api/v1 operation has a ``clinic: <area>``
tag (and no hospital operation has one), a JSON response schema for its success answer and the error envelope
for its errors."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def schema(app) -> dict:
    return app.openapi()


def _operations(schema: dict, clinic: bool):
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/") == clinic:
            for method, operation in operations.items():
                yield method.upper(), path, operation


def _success(operation: dict) -> tuple[str, dict]:
    found = [(status, answer) for status, answer in operation["responses"].items() if status.startswith("2")]
    assert len(found) == 1, found
    return found[0]


def test_the_clinic_surface_is_in_the_schema(schema):
    paths = {path for _m, path, _o in _operations(schema, clinic=True)}
    assert {"/api/v1/patients/{patientId}/export", "/api/v1/patients/{patientId}/erasure"} <= paths


def test_every_clinic_operation_is_tagged_clinic(schema):
    untagged = [(m, p, op.get("tags")) for m, p, op in _operations(schema, clinic=True)
                if not op.get("tags") or not all(t.startswith("clinic: ") for t in op["tags"])]
    assert untagged == []


def test_no_hospital_operation_carries_a_clinic_tag(schema):
    assert [(m, p) for m, p, op in _operations(schema, clinic=False)
            if any(t.startswith("clinic: ") for t in op.get("tags", []))] == []


def test_every_clinic_operation_declares_its_response_schema(schema):
    missing = []
    for method, path, operation in _operations(schema, clinic=True):
        status, answer = _success(operation)
        body = answer.get("content", {}).get("application/json", {}).get("schema")
        if not body or body == {} or not ("$ref" in body or body.get("properties")):
            missing.append((method, path, status))
    assert missing == []


def test_every_clinic_success_schema_is_the_envelope(schema):
    components = schema["components"]["schemas"]
    for method, path, operation in _operations(schema, clinic=True):
        _status, answer = _success(operation)
        body = answer["content"]["application/json"]["schema"]
        model = components[body["$ref"].rsplit("/", 1)[-1]] if "$ref" in body else body
        assert {"success", "data"} <= set(model["properties"]), (method, path)


def test_every_clinic_operation_documents_its_errors_as_the_envelope(schema):
    for method, path, operation in _operations(schema, clinic=True):
        errors = {s: a for s, a in operation["responses"].items() if s[0] in "45"}
        assert errors, (method, path)
        for status, answer in errors.items():
            ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            assert ref.endswith("/ErrorEnvelope"), (method, path, status, ref)


def test_the_export_documents_its_pdf_answer(schema):
    answer = schema["paths"]["/api/v1/patients/{patientId}/export"]["get"]["responses"]["200"]
    assert set(answer["content"]) == {"application/json", "application/pdf"}
