"""The clinic fixtures and the surface's plumbing: members sign in, errors come in the envelope."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from clinicops.http import errors
from clinicops.http.clinic import ids
from clinicops.http.clinic.errors import name_of
from clinicops.http.clinic.schemas.base import Body


def test_domain_field_names_are_rendered_in_the_surface_names():
    assert name_of("clinician_id") == "doctorId"
    assert name_of("items.0.unit_price") == "items.0.unitPrice"
    assert name_of("name") == "name"


async def test_two_clinics_each_with_an_admin_and_two_doctors(clinics):
    a, b = clinics
    assert a.org.id != b.org.id and a.org.kind == b.org.kind == "CLINIC"
    for clinic in clinics:
        assert len(clinic.doctors) == 2
        assert clinic.admin.headers["Authorization"].startswith("Bearer ")
        assert {d.clinician.organization_id for d in clinic.doctors} == {clinic.org.id}
    assert a.clinic_id.startswith("clinic_") and a.doctors[0].doctor_id.startswith("doc_")


async def test_an_unknown_path_answers_in_the_envelope(client):
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["success"] is False


class Probe(Body):
    patient_id: ids.PatientId
    full_name: str


# A tiny app with the real error handlers and one route using the clinic's id and body types.
_probe_app = FastAPI()
errors.install(_probe_app)


@_probe_app.post("/api/v1/doctors/{doctorId}/probe")
async def probe(doctor_id: ids.DoctorIdPath, body: Probe):
    return {"doctor": doctor_id, "patient": body.patient_id, "name": body.full_name}


async def _post(path: str, json: dict):
    transport = httpx.ASGITransport(app=_probe_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.post(path, json=json)


async def test_ids_in_path_and_body_parse_to_ints():
    response = await _post("/api/v1/doctors/doc_7/probe", {"patientId": "pat_31", "fullName": " Asha "})
    assert response.json() == {"doctor": 7, "patient": 31, "name": "Asha"}


async def test_an_id_of_another_kind_is_not_found_in_a_path_or_a_body():
    for path, body in (("/api/v1/doctors/pat_7/probe", {"patientId": "pat_31", "fullName": "A"}),
                       ("/api/v1/doctors/doc_7/probe", {"patientId": "doc_31", "fullName": "A"}),
                       ("/api/v1/doctors/7/probe", {"patientId": "pat_31", "fullName": "A"})):
        response = await _post(path, body)
        assert response.status_code == 404, (path, body, response.text)
        assert response.json()["error"]["code"] == "NOT_FOUND"
        if body["patientId"].startswith("doc_"):  # a body field is named
            assert response.json()["error"]["details"] == [{"field": "patientId", "message": "no such record"}]


async def test_unknown_and_snake_case_fields_are_refused_by_name():
    response = await _post("/api/v1/doctors/doc_7/probe", {"patientId": "pat_31", "fullName": "A", "isAdmin": True})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "isAdmin"
    response = await _post("/api/v1/doctors/doc_7/probe", {"patientId": "pat_31", "full_name": "A"})
    assert response.status_code == 422
    assert {d["field"] for d in response.json()["error"]["details"]} == {"fullName", "full_name"}
