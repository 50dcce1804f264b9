"""A patient's data rights (export JSON/PDF, erasure) across two clinics with two doctors each.

The same person (one phone) is a patient of both clinics, each with its own profile, association and visits; the
rows are written directly (the record's own rules are tested with the visits and patients routes).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from clinicops.audit.models import AuditEvent
from clinicops.http.clinic import ids
from clinicops.messaging.models import OutboxMessage
from clinicops.patients.models import CareRelationship, ClinicalNote, Patient, PatientRegistration
from clinicops.privacy.models import ErasureRequest
from clinicops.visits.models import Visit
from tests.builders.clinic import Clinic
from tests.builders.people import make_patient


async def _record(db, clinic: Clinic, patient: Patient, *, doctor: int, label: str, visit_day: date) -> Visit:
    """``clinic``'s profile of ``patient``, an association with one of its doctors, a visit and a private note."""
    registration = await db.scalar(select(PatientRegistration).where(
        PatientRegistration.organization_id == clinic.org.id, PatientRegistration.patient_id == patient.id))
    if registration is None:
        registration = PatientRegistration(organization_id=clinic.org.id, patient_id=patient.id,
                                           mrn=f"MRN-{label}-{patient.id}")
        db.add(registration)
    registration.full_name = f"Amit Kumar ({label})"
    registration.address = f"{label} address"
    registration.emergency_contact = "+919876543211"
    registration.allergies = [f"{label} allergy"]
    member = clinic.doctors[doctor]
    db.add(CareRelationship(organization_id=clinic.org.id, clinician_id=member.clinician.id, patient_id=patient.id,
                            preferences={"preferred_time": "MORNING"}, notes=f"{label} association note",
                            visit_count=1))
    visit = Visit(organization_id=clinic.org.id, clinician_id=member.clinician.id, patient_id=patient.id,
                  visit_date=visit_day, chief_complaint=f"{label} headache", vitals={"blood_pressure": "140/90"},
                  diagnosis=f"{label} hypertension", icd10_code="I10", severity="MILD",
                  prescription=[{"name": "Amlodipine", "strength": "5mg", "frequency": "Once daily",
                                 "duration": "30 days", "instructions": "Morning"}],
                  notes=f"{label} visit note", status="COMPLETED")
    db.add(visit)
    await db.flush()
    db.add(ClinicalNote(organization_id=clinic.org.id, patient_id=patient.id, author_user_id=member.user.id,
                        clinician_id=member.clinician.id, visit_id=visit.id, body=f"{label} PRIVATE note",
                        is_private=True))
    await db.flush()
    return visit


@pytest.fixture
async def shared(db, clinics):
    """One person known to both clinics: clinic A's doctor 1 and clinic B's doctor 1 each have a visit."""
    a, b = clinics
    patient = await make_patient(db, phone="+919988776655", first_name="Amit", last_name="Kumar")
    visit_a = await _record(db, a, patient, doctor=0, label="clinic-A", visit_day=date(2025, 1, 15))
    visit_b = await _record(db, b, patient, doctor=0, label="clinic-B", visit_day=date(2025, 3, 1))
    return patient, visit_a, visit_b


def _path(patient: Patient, what: str = "export") -> str:
    return f"/api/v1/patients/{ids.render(ids.PATIENT, patient.id)}/{what}"


async def test_the_admin_exports_only_their_clinics_record(client, db, clinics, shared):
    a, _b = clinics
    patient, visit_a, visit_b = shared
    response = await client.get(_path(patient), headers=a.admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].endswith('.json"')
    data = response.json()["data"]
    assert data["clinic"] == {"clinicId": a.clinic_id, "name": a.org.name}
    assert data["patient"]["patientId"] == ids.render(ids.PATIENT, patient.id)
    assert data["patient"]["patientPhone"] == "+919988776655"
    assert data["patient"]["name"] == "Amit Kumar (clinic-A)" and data["patient"]["allergies"] == ["clinic-A allergy"]
    assert [v["visitId"] for v in data["visits"]] == [ids.render(ids.VISIT, visit_a.id)]
    visit = data["visits"][0]
    assert visit["vitalSigns"] == {"bloodPressure": "140/90"} and visit["icd10Code"] == "I10"
    assert visit["medications"][0]["name"] == "Amlodipine"
    assert [x["doctorId"] for x in data["associations"]] == [a.doctors[0].doctor_id]
    assert data["associations"][0]["preferences"] == {"preferredTime": "MORNING"}
    text = response.text
    assert "clinic-B" not in text, "another clinic's record leaked into the export"
    assert "PRIVATE" not in text and "privateNotes" not in text, "private notes are not part of an export"


async def test_the_pdf_export_holds_this_clinics_record(client, db, clinics, shared):
    a, _b = clinics
    patient, _visit_a, _visit_b = shared
    response = await client.get(_path(patient), params={"format": "pdf"}, headers=a.admin.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and len(response.content) > 1000
    assert response.headers["content-disposition"].endswith('.pdf"')


async def test_an_unknown_format_is_refused_naming_the_field(client, clinics, shared):
    a, _b = clinics
    patient = shared[0]
    response = await client.get(_path(patient), params={"format": "xml"}, headers=a.admin.headers)
    assert response.status_code == 422
    assert "format" in response.text


async def test_every_export_is_audited(client, db, clinics, shared):
    a, _b = clinics
    patient = shared[0]
    for file_format in ("json", "pdf"):
        assert (await client.get(_path(patient), params={"format": file_format},
                                 headers=a.admin.headers)).status_code == 200
    events = (await db.execute(select(AuditEvent).where(
        AuditEvent.action == "patient.export", AuditEvent.patient_id == patient.id))).scalars().all()
    assert sorted(e.details["format"] for e in events) == ["json", "pdf"]
    assert {e.organization_id for e in events} == {a.org.id} and {e.actor_user_id for e in events} == {a.admin.user.id}


@pytest.mark.parametrize("what", ["export", "erasure"])
async def test_doctors_may_not_export_or_erase(client, clinics, shared, what):
    a, _b = clinics
    patient = shared[0]
    for doctor in a.doctors:  # the patient's own doctor included
        call = client.get if what == "export" else client.post
        response = await call(_path(patient, what), headers=doctor.headers)
        assert response.status_code == 403, response.text


@pytest.mark.parametrize("what", ["export", "erasure"])
async def test_another_clinics_admin_gets_404(client, db, clinics, what):
    a, b = clinics
    only_a = await make_patient(db, org=a.org)
    call = client.get if what == "export" else client.post
    response = await call(_path(only_a, what), headers=b.admin.headers)
    assert response.status_code == 404, response.text
    assert response.json()["success"] is False


@pytest.mark.parametrize("patient_id", ["doc_1", "pat_0", "pat_x", "99999999", "pat_999999999"])
async def test_wrong_kind_malformed_or_unknown_ids_get_404(client, clinics, patient_id):
    a, _b = clinics
    response = await client.get(f"/api/v1/patients/{patient_id}/export", headers=a.admin.headers)
    assert response.status_code == 404


async def test_erasure_removes_what_the_clinic_may_and_keeps_the_medical_record(client, db, clinics, shared):
    a, b = clinics
    patient, visit_a, visit_b = shared
    sent = OutboxMessage(organization_id=a.org.id, patient_id=patient.id, template="visit_summary",
                         recipient=patient.phone, recipient_name="Amit Kumar", params={"diagnosis": "x"},
                         body="Your diagnosis: hypertension", status="DELIVERED")
    db.add(sent)
    await db.flush()
    response = await client.post(_path(patient, "erasure"), json={"reason": "Patient asked by WhatsApp"},
                                 headers=a.admin.headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["patientId"] == ids.render(ids.PATIENT, patient.id)
    assert "contact details" in data["erased"] and "visit records" in data["retained"]
    assert data["retainUntil"] == "2028-01-15"  # three years after the last visit at clinic A

    reg_a, reg_b = [await db.scalar(select(PatientRegistration).where(
        PatientRegistration.organization_id == c.org.id, PatientRegistration.patient_id == patient.id))
        for c in (a, b)]
    await db.refresh(reg_a)
    await db.refresh(reg_b)
    assert reg_a.address is None and reg_a.emergency_contact is None
    assert reg_a.full_name == "Amit Kumar (clinic-A)"  # identity is kept with the record
    assert reg_b.address == "clinic-B address", "clinic B's record must not change on clinic A's request"
    cares = (await db.execute(select(CareRelationship).where(CareRelationship.patient_id == patient.id)
                              .execution_options(populate_existing=True))).scalars().all()
    by_org = {c.organization_id: c for c in cares}
    assert (by_org[a.org.id].status, by_org[a.org.id].notes, by_org[a.org.id].preferences) == ("INACTIVE", None, {})
    assert (by_org[b.org.id].status, by_org[b.org.id].notes) == ("ACTIVE", "clinic-B association note")
    await db.refresh(sent)
    assert (sent.body, sent.params, sent.recipient_name) == ("", {}, None)
    for visit in (visit_a, visit_b):  # medical records are retained, at both clinics
        await db.refresh(visit)
        assert visit.diagnosis and visit.prescription
    notes = (await db.execute(select(ClinicalNote).where(ClinicalNote.patient_id == patient.id))).scalars().all()
    assert len(notes) == 2

    request = await db.scalar(select(ErasureRequest).where(ErasureRequest.patient_id == patient.id))
    assert (request.organization_id, request.requested_by_user_id, request.reason) == (
        a.org.id, a.admin.user.id, "Patient asked by WhatsApp")
    audit = await db.scalar(select(AuditEvent).where(AuditEvent.action == "patient.erasure",
                                                     AuditEvent.patient_id == patient.id))
    assert audit.organization_id == a.org.id and audit.details["erasure_request_id"] == request.id


async def test_after_erasure_the_export_shows_the_request_and_no_contact_details(client, db, clinics, shared):
    a, b = clinics
    patient = shared[0]
    pat = ids.render(ids.PATIENT, patient.id)

    async def listed(clinic: Clinic) -> list[str]:
        doctor = clinic.doctors[0]
        page = await client.get(f"/api/v1/doctors/{doctor.doctor_id}/patients", headers=doctor.headers)
        assert page.status_code == 200, page.text
        return [p["patientId"] for p in page.json()["data"]["patients"]]

    assert pat in await listed(a) and pat in await listed(b)
    assert (await client.post(_path(patient, "erasure"), headers=a.admin.headers)).status_code == 200
    assert pat not in await listed(a), "the ended association leaves the doctor's list"
    assert pat in await listed(b), "another clinic's association is not touched"
    data = (await client.get(_path(patient), headers=a.admin.headers)).json()["data"]
    assert data["patient"]["address"] is None and len(data["erasureRequests"]) == 1
    assert data["visits"] and data["visits"][0]["diagnosis"] == "clinic-A hypertension"


async def test_an_erasure_body_refuses_unknown_fields(client, clinics, shared):
    a, _b = clinics
    response = await client.post(_path(shared[0], "erasure"), json={"reason": "x", "everything": True},
                                 headers=a.admin.headers)
    assert response.status_code == 422 and "everything" in response.text


async def test_a_patient_without_visits_has_nothing_retained_by_date(client, db, clinics):
    a, _b = clinics
    patient = await make_patient(db, org=a.org)
    response = await client.post(_path(patient, "erasure"), headers=a.admin.headers)
    assert response.status_code == 200 and response.json()["data"]["retainUntil"] is None


def test_retention_runs_three_years_from_the_last_visit():
    from clinicops.privacy.service import _years_after

    assert _years_after(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert _years_after(date(2025, 1, 15), 3) == date(2028, 1, 15)
