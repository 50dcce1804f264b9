"""Patients (6.4), doctor–patient associations (6.5) and visit records (6.8) through HTTP: the whole flow, the
shapes field for field, and bad input refused naming the field. Privacy rules: test_care_privacy.py."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from clinicops.audit.models import AuditEvent
from clinicops.http.clinic import ids
from clinicops.kit.timezones import today_in, zone
from clinicops.visits.models import Visit
from tests.builders.care import associated_patient, recorded_visit
from tests.builders.people import next_phone

NEW_PATIENT = {"name": "Amit Kumar", "dateOfBirth": "1992-03-15", "gender": "MALE",
               "address": "123 ABC Street, Mumbai", "emergencyContact": "+919876543210", "bloodGroup": "O+",
               "allergies": ["Penicillin", "Dust"], "chronicConditions": []}


def age_today(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def consultation(client, doctor, patient_id: str, today: date) -> str:
    """A visit documented as section 6.8's examples do it: created, diagnosed, prescribed, a private note, edited."""
    visit = await client.post(f"/api/v1/doctors/{doctor.doctor_id}/patients/{patient_id}/visits",
                              headers=doctor.headers, json={
                                  "visitDate": today.isoformat(), "chiefComplaint": "Headache and dizziness",
                                  "vitalSigns": {"bloodPressure": "140/90", "pulse": "72", "temperature": "98.6",
                                                 "weight": "70kg"},
                                  "examination": "General examination normal, BP elevated"})
    assert visit.status_code == 201, visit.text
    assert set(visit.json()["data"]) == {"visitId", "patientId", "doctorId", "createdAt"}
    visit_id = visit.json()["data"]["visitId"]

    diagnosed = await client.post(f"/api/v1/visits/{visit_id}/diagnosis", headers=doctor.headers, json={
        "diagnosis": "Hypertension Stage 1", "icd10Code": "I10", "severity": "MILD",
        "notes": "Primary hypertension, no secondary causes identified"})
    assert diagnosed.status_code == 200, diagnosed.text
    assert diagnosed.json()["message"] == "Diagnosis updated successfully"
    assert set(diagnosed.json()["data"]) == {"visitId", "diagnosis", "updatedAt"}
    assert diagnosed.json()["data"]["diagnosis"] == "Hypertension Stage 1"

    prescribed = await client.post(f"/api/v1/visits/{visit_id}/prescription", headers=doctor.headers, json={
        "medications": [{"name": "Amlodipine", "strength": "5mg", "frequency": "Once daily", "duration": "30 days",
                         "instructions": "Take in the morning"}],
        "notes": "Monitor BP weekly, return in 30 days"})
    assert prescribed.status_code == 200, prescribed.text
    assert set(prescribed.json()["data"]) == {"visitId", "prescriptionId", "updatedAt"}
    assert prescribed.json()["data"]["prescriptionId"].startswith("pres_")

    noted = await client.post(f"/api/v1/visits/{visit_id}/notes", headers=doctor.headers, json={
        "privateNotes": "Patient seems anxious about work stress", "isConfidential": True})
    assert noted.status_code == 201, noted.text
    assert noted.json()["message"] == "Private notes added successfully"
    assert set(noted.json()["data"]) == {"visitId", "notesId", "isConfidential", "createdAt"}
    assert noted.json()["data"]["notesId"].startswith("notes_") and noted.json()["data"]["isConfidential"] is True

    edited = await client.put(f"/api/v1/visits/{visit_id}", headers=doctor.headers,
                              json={"notes": "Patient responding well to treatment", "status": "COMPLETED"})
    assert edited.status_code == 200, edited.text
    assert set(edited.json()["data"]) == {"visitId", "updatedAt"}
    return visit_id


async def test_patient_association_visit_diagnosis_prescription_and_private_note(client, clinic_a):
    admin, doctor = clinic_a.admin, clinic_a.doctors[0]
    today = today_in(zone(clinic_a.org.timezone))
    phone = next_phone()

    # 6.4: the admin records the patient at the clinic.
    made = await client.post("/api/v1/patients", json={"phone": phone, **NEW_PATIENT}, headers=admin.headers)
    assert made.status_code == 201, made.text
    assert made.json()["message"] == "Patient record created successfully"
    data = made.json()["data"]
    assert set(data) == {"patientId", "phone", "name", "age", "gender", "bloodGroup", "allergies", "createdAt"}
    assert data["phone"] == phone and data["name"] == "Amit Kumar" and data["bloodGroup"] == "O+"
    assert data["age"] == age_today(date(1992, 3, 15), today) and data["allergies"] == ["Penicillin", "Dust"]
    patient_id = data["patientId"]
    assert patient_id.startswith("pat_")

    # 6.5: the doctor takes the patient into their care (known to the clinic: found by phone).
    linked = await client.post(f"/api/v1/doctors/{doctor.doctor_id}/patients", headers=doctor.headers, json={
        "patientPhone": phone, "patientName": "Amit Kumar", "age": 32, "gender": "MALE",
        "preferences": {"preferredTime": "MORNING", "communicationMethod": "WHATSAPP"}})
    assert linked.status_code == 201, linked.text
    assert linked.json()["message"] == "Patient associated successfully"
    association = linked.json()["data"]
    assert set(association) == {"associationId", "patientId", "patientPhone", "doctorId", "associationDate"}
    assert association["patientId"] == patient_id and association["doctorId"] == doctor.doctor_id
    assert association["associationId"].startswith("assoc_") and association["patientPhone"] == phone

    # 6.8: a visit, its diagnosis (ICD-10), its prescription and a private note.
    visit_id = await consultation(client, doctor, patient_id, today)

    # The doctor reads the whole visit back.
    read = await client.get(f"/api/v1/visits/{visit_id}", headers=doctor.headers)
    assert read.status_code == 200, read.text
    shown = read.json()["data"]["visit"]
    assert {"visitId", "patientId", "patientPhone", "patientName", "doctorId", "doctorName", "visitDate", "tokenId",
            "status", "chiefComplaint", "vitalSigns", "examination", "diagnosis", "prescription", "notes",
            "privateNotes", "createdAt", "updatedAt"} <= set(shown)
    assert shown["patientName"] == "Amit Kumar" and shown["doctorName"] == doctor.user.full_name
    assert shown["visitDate"] == today.isoformat() and shown["status"] == "COMPLETED"
    assert shown["vitalSigns"] == {"bloodPressure": "140/90", "pulse": "72", "temperature": "98.6",
                                   "weight": "70kg"}
    assert shown["diagnosis"] == "Hypertension Stage 1" and shown["icd10Code"] == "I10"
    assert shown["severity"] == "MILD"
    assert shown["prescription"] == "Amlodipine 5mg, Once daily, 30 days (Take in the morning)"
    assert shown["medications"] == [{"name": "Amlodipine", "strength": "5mg", "frequency": "Once daily",
                                     "duration": "30 days", "instructions": "Take in the morning"}]
    assert shown["privateNotes"] == "Patient seems anxious about work stress"
    assert shown["notes"] == "Patient responding well to treatment"

    # The history lists it without private notes; the doctor's list and the search count it.
    history = await client.get(f"/api/v1/doctors/{doctor.doctor_id}/patients/{patient_id}/visits",
                               headers=doctor.headers)
    assert history.status_code == 200, history.text
    listed = history.json()["data"]
    assert listed["patient"] == {"patientId": patient_id, "patientPhone": phone, "name": "Amit Kumar"}
    assert listed["totalCount"] == 1
    assert set(listed["visits"][0]) == {"visitId", "date", "tokenId", "status", "diagnosis", "prescription",
                                        "notes", "createdAt"}
    assert "anxious" not in history.text

    mine = await client.get(f"/api/v1/doctors/{doctor.doctor_id}/patients", headers=doctor.headers)
    assert mine.status_code == 200, mine.text
    assert mine.json()["data"]["totalCount"] == 1
    row = mine.json()["data"]["patients"][0]
    assert set(row) == {"patientId", "patientPhone", "name", "age", "gender", "associationDate", "lastVisitDate",
                        "totalVisits", "preferences"}
    assert row["totalVisits"] == 1 and row["lastVisitDate"] == today.isoformat()
    assert row["preferences"] == {"preferredTime": "MORNING", "communicationMethod": "WHATSAPP"}

    found = await client.get("/api/v1/patients/search", params={"name": "ami", "limit": 10},
                             headers=doctor.headers)
    assert found.status_code == 200, found.text
    assert found.json()["data"]["totalFound"] == 1 and found.json()["data"]["searchTerm"] == "ami"
    hit = found.json()["data"]["patients"][0]
    assert {"phone", "name", "age", "gender", "lastVisit", "totalVisits", "isAssociatedWithDoctor"} <= set(hit)
    assert hit["lastVisit"] == today.isoformat() and hit["totalVisits"] == 1 and hit["isAssociatedWithDoctor"]
    assert "anxious" not in found.text and "anxious" not in mine.text


async def test_patient_record_read_and_update_field_for_field(client, clinic_a):
    admin = clinic_a.admin
    phone = next_phone()
    made = await client.post("/api/v1/patients", json={"phone": phone, **NEW_PATIENT}, headers=admin.headers)
    patient_id = made.json()["data"]["patientId"]

    changed = await client.put(f"/api/v1/patients/{patient_id}", headers=admin.headers, json={
        "name": "Amit K. Kumar", "address": "456 XYZ Street, Mumbai", "allergies": ["Penicillin", "Dust", "Shellfish"],
        "chronicConditions": ["Diabetes", "Hypertension"]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["message"] == "Patient updated successfully"
    assert set(changed.json()["data"]) == {"patientId", "updatedAt"}

    read = await client.get(f"/api/v1/patients/{patient_id}", headers=admin.headers)
    assert read.status_code == 200, read.text
    patient = read.json()["data"]["patient"]
    assert set(patient) == {"patientId", "patientPhone", "name", "dateOfBirth", "age", "gender", "address",
                            "emergencyContact", "bloodGroup", "allergies", "chronicConditions", "currentMedications",
                            "createdAt", "updatedAt"}
    assert patient["name"] == "Amit K. Kumar" and patient["address"] == "456 XYZ Street, Mumbai"
    assert patient["allergies"] == ["Penicillin", "Dust", "Shellfish"] and patient["dateOfBirth"] == "1992-03-15"
    assert patient["chronicConditions"] == ["Diabetes", "Hypertension"] and patient["patientPhone"] == phone

    again = await client.post("/api/v1/patients", json={"phone": phone, **NEW_PATIENT}, headers=admin.headers)
    assert again.status_code == 409


async def test_association_detail_update_and_removal(client, clinic_a):
    doctor = clinic_a.doctors[0]
    patient_id = await associated_patient(client, doctor, name="Rajesh Kumar", age=45, gender="MALE")
    path = f"/api/v1/doctors/{doctor.doctor_id}/patients/{patient_id}"

    changed = await client.put(path, headers=doctor.headers, json={
        "preferences": {"preferredTime": "AFTERNOON", "communicationMethod": "WHATSAPP"},
        "notes": "Patient prefers afternoon appointments due to work schedule"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["message"] == "Patient association updated successfully"
    assert set(changed.json()["data"]) == {"patientId", "updatedAt"}

    read = await client.get(path, headers=doctor.headers)
    assert read.status_code == 200, read.text
    patient = read.json()["data"]["patient"]
    assert {"patientId", "patientPhone", "name", "age", "gender", "associationDate", "lastVisitDate", "totalVisits",
            "preferences", "medicalHistory"} <= set(patient)
    assert patient["age"] == 45 and patient["totalVisits"] == 0 and patient["lastVisitDate"] is None
    assert patient["preferences"] == {"preferredTime": "AFTERNOON", "communicationMethod": "WHATSAPP"}
    assert patient["medicalHistory"] == {"allergies": [], "chronicConditions": [], "currentMedications": []}

    twice = await client.post(f"/api/v1/doctors/{doctor.doctor_id}/patients", headers=doctor.headers,
                              json={"patientPhone": patient["patientPhone"], "patientName": "Rajesh Kumar"})
    assert twice.status_code == 409

    visit_id = await recorded_visit(client, doctor, patient_id)
    removed = await client.delete(path, headers=doctor.headers)
    assert removed.status_code == 200, removed.text
    assert removed.json()["message"] == "Patient association removed successfully"
    assert set(removed.json()["data"]) == {"patientId", "removedAt"}
    # No longer the doctor's patient; the clinic keeps the records (the admin still reads the visit).
    assert (await client.get(path, headers=doctor.headers)).status_code == 404
    assert (await client.get(f"/api/v1/patients/{patient_id}", headers=doctor.headers)).status_code == 404
    assert (await client.get(f"/api/v1/visits/{visit_id}", headers=clinic_a.admin.headers)).status_code == 200
    mine = await client.get(f"/api/v1/doctors/{doctor.doctor_id}/patients", headers=doctor.headers)
    assert mine.json()["data"]["totalCount"] == 0
    # Associating again revives the relationship.
    back = await client.post(f"/api/v1/doctors/{doctor.doctor_id}/patients", headers=doctor.headers,
                             json={"patientPhone": patient["patientPhone"]})
    assert back.status_code == 201, back.text
    assert (await client.get(path, headers=doctor.headers)).status_code == 200


async def test_search_by_phone_prefix_and_name_prefix(client, clinic_a):
    admin, doctor = clinic_a.admin, clinic_a.doctors[0]
    phone = next_phone()
    await associated_patient(client, doctor, name="Sunita Rao", phone=phone)
    await associated_patient(client, clinic_a.doctors[1], name="Suresh Iyer")

    by_phone = await client.get("/api/v1/patients/search", params={"phone": phone[:-3]}, headers=admin.headers)
    assert by_phone.status_code == 200, by_phone.text
    assert phone in [p["phone"] for p in by_phone.json()["data"]["patients"]]
    national = await client.get("/api/v1/patients/search", params={"phone": phone[3:]}, headers=admin.headers)
    assert [p["phone"] for p in national.json()["data"]["patients"]] == [phone]

    by_name = await client.get("/api/v1/patients/search", params={"name": "SU"}, headers=admin.headers)
    assert [p["name"] for p in by_name.json()["data"]["patients"]] == ["Sunita Rao", "Suresh Iyer"]
    # For the admin, isAssociatedWithDoctor answers for the doctor asked about (else any doctor of the clinic).
    asked = await client.get("/api/v1/patients/search", params={"name": "su", "doctorId": doctor.doctor_id},
                             headers=admin.headers)
    assert [p["isAssociatedWithDoctor"] for p in asked.json()["data"]["patients"]] == [True, False]
    # A doctor finds only their own patients.
    own = await client.get("/api/v1/patients/search", params={"name": "su"}, headers=doctor.headers)
    assert [p["name"] for p in own.json()["data"]["patients"]] == ["Sunita Rao"]
    # Not a prefix of the name: not found (no substring scans).
    assert (await client.get("/api/v1/patients/search", params={"name": "rao"},
                             headers=admin.headers)).json()["data"]["totalFound"] == 0
    bad = await client.get("/api/v1/patients/search", params={"phone": "98x76"}, headers=admin.headers)
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "phone"


async def test_bad_input_is_refused_naming_the_field_and_changes_nothing(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    patient_id = await associated_patient(client, doctor)
    visit_id = await recorded_visit(client, doctor, patient_id)
    visits_path = f"/api/v1/doctors/{doctor.doctor_id}/patients/{patient_id}/visits"

    async def refused(method: str, path: str, body: dict, status: int, field: str) -> None:
        answer = await client.request(method, path, json=body, headers=doctor.headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["success"] is False
        assert field in [d.get("field") for d in answer.json()["error"].get("details", [])], answer.text

    tomorrow = (today_in(zone(clinic_a.org.timezone)) + timedelta(days=1)).isoformat()
    await refused("POST", visits_path, {"visitDate": tomorrow}, 422, "visitDate")
    await refused("POST", visits_path, {"visitDate": "2025-02-30"}, 422, "visitDate")
    await refused("POST", visits_path, {"tokenId": "TKN_001"}, 404, "tokenId")
    await refused("POST", visits_path, {"chiefComplaint": "x", "mood": "calm"}, 422, "mood")
    await refused("POST", visits_path, {"vitalSigns": {"pulse": 72}}, 422, "vitalSigns.pulse")
    await refused("POST", f"/api/v1/visits/{visit_id}/diagnosis", {"icd10Code": "I10.0"}, 422, "icd10Code")
    await refused("POST", f"/api/v1/visits/{visit_id}/diagnosis", {"icd10Code": "I10", "severity": "BAD"}, 422,
                  "severity")
    await refused("POST", f"/api/v1/visits/{visit_id}/prescription", {"medications": [{"strength": "5mg"}]}, 422,
                  "medications.0.name")
    await refused("POST", f"/api/v1/visits/{visit_id}/prescription",
                  {"medications": [{"name": "A", "dose": "5mg"}]}, 422, "medications.0.dose")
    await refused("PUT", f"/api/v1/visits/{visit_id}", {"status": "DRAFT"}, 409, "status")
    await refused("POST", "/api/v1/patients", {"phone": "12345", "name": "X"}, 422, "phone")
    await refused("POST", "/api/v1/patients", {"phone": next_phone(), "name": "X", "bloodGroup": "Q+"}, 422,
                  "bloodGroup")
    await refused("POST", "/api/v1/patients", {"phone": next_phone(), "name": "X", "dateOfBirth": tomorrow}, 422,
                  "dateOfBirth")
    await refused("PUT", f"/api/v1/doctors/{doctor.doctor_id}/patients/{patient_id}",
                  {"preferences": {"preferredTime": "NIGHT"}}, 422, "preferences.preferredTime")
    # A doc_ id where a pat_ id belongs (and the other way round) is not found.
    wrong = await client.get(f"/api/v1/patients/{doctor.doctor_id}", headers=doctor.headers)
    assert wrong.status_code == 404
    wrong = await client.get(f"/api/v1/doctors/{patient_id}/patients", headers=doctor.headers)
    assert wrong.status_code == 404

    visit = await db.get(Visit, ids.parse(ids.VISIT, visit_id))
    await db.refresh(visit)
    assert visit.icd10_code is None and visit.prescription == [] and visit.status == "IN_PROGRESS"


async def test_an_icd10_code_alone_takes_the_who_description(client, clinic_a):
    doctor = clinic_a.doctors[0]
    visit_id = await recorded_visit(client, doctor, await associated_patient(client, doctor))
    answer = await client.post(f"/api/v1/visits/{visit_id}/diagnosis", json={"icd10Code": "e119"},
                               headers=doctor.headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["diagnosis"] == "Type 2 diabetes mellitus without complications"
    shown = (await client.get(f"/api/v1/visits/{visit_id}", headers=doctor.headers)).json()["data"]["visit"]
    assert shown["icd10Code"] == "E11.9"


async def test_every_write_is_audited_with_the_patient(client, db, clinic_a):
    doctor = clinic_a.doctors[0]
    patient_id = await associated_patient(client, doctor)
    visit_id = await recorded_visit(client, doctor, patient_id)
    await client.post(f"/api/v1/visits/{visit_id}/diagnosis", json={"icd10Code": "I10"}, headers=doctor.headers)
    await client.post(f"/api/v1/visits/{visit_id}/notes", json={"privateNotes": "x"}, headers=doctor.headers)
    rows = await db.execute(select(AuditEvent.action).where(
        AuditEvent.patient_id == ids.parse(ids.PATIENT, patient_id)).order_by(AuditEvent.id))
    assert list(rows.scalars()) == ["association.create", "visit.create", "visit.diagnosis.write",
                                    "visit.note.create"]
