"""Builders for the clinic's care records, through HTTP as a clinic's front end makes them: a patient in a
doctor's care, a visit of theirs.

    patient_id = await associated_patient(client, clinic.doctors[0], name="Amit Kumar")
    visit_id = await recorded_visit(client, clinic.doctors[0], patient_id)
"""

from __future__ import annotations

import httpx

from tests.builders.clinic import Member
from tests.builders.people import next_phone


async def associated_patient(client: httpx.AsyncClient, doctor: Member, *, name: str = "Amit Kumar",
                             phone: str | None = None, by: Member | None = None, **fields) -> str:
    """A patient put in ``doctor``'s care (recorded at the clinic if new there) by ``by`` (the doctor); the
    ``pat_`` id."""
    body = {"patientPhone": phone or next_phone(), "patientName": name, **fields}
    answer = await client.post(f"/api/v1/doctors/{doctor.doctor_id}/patients", json=body,
                               headers=(by or doctor).headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["patientId"]


async def recorded_visit(client: httpx.AsyncClient, doctor: Member, patient_id: str, *, by: Member | None = None,
                         **fields) -> str:
    body = {"chiefComplaint": "Headache and dizziness", **fields}
    answer = await client.post(f"/api/v1/doctors/{doctor.doctor_id}/patients/{patient_id}/visits", json=body,
                               headers=(by or doctor).headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]["visitId"]
