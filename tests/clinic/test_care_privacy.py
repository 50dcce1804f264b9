"""The privacy rules of issue 11 (spec 2, 3, 9.3) for care records, each across two clinics with two doctors each:

- a doctor sees only their own patients, associations, visits and notes; another doctor's → 404;
- a clinic admin sees all of their clinic's data and none of another clinic's (→ 404), also by guessing ids;
- what one clinic recorded about a person never shows in another;
- private notes are readable only by their author and the clinic admin, and never returned in lists;
- doctors have no access to subscription, payments or revenue (403);
- every read of a visit or patient record writes an audit event; the admin lists a patient's audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from clinicops.audit.models import AuditEvent
from clinicops.http.clinic import ids
from clinicops.visits.models import Visit
from tests.builders.care import associated_patient, recorded_visit
from tests.builders.clinic import Member
from tests.builders.people import next_phone


@dataclass
class Care:
    """One doctor's patient and a visit of theirs."""

    doctor: Member
    patient_id: str
    visit_id: str


async def care_of(client, doctor: Member, name: str) -> Care:
    patient_id = await associated_patient(client, doctor, name=name)
    return Care(doctor, patient_id, await recorded_visit(client, doctor, patient_id))


@pytest.fixture
async def cares(client, clinics) -> dict[str, Care]:
    """a1, a2: the two doctors of clinic A with a patient and a visit each; b1, b2: the same in clinic B."""
    a, b = clinics
    return {"a1": await care_of(client, a.doctors[0], "Anil One"),
            "a2": await care_of(client, a.doctors[1], "Asha Two"),
            "b1": await care_of(client, b.doctors[0], "Bina One"),
            "b2": await care_of(client, b.doctors[1], "Babu Two")}


def reads_of(c: Care) -> list[tuple[str, str, dict | None]]:
    """Every route that reads ``c``'s patient, association or visit."""
    d, p, v = c.doctor.doctor_id, c.patient_id, c.visit_id
    return [("GET", f"/api/v1/patients/{p}", None),
            ("GET", f"/api/v1/doctors/{d}/patients", None),
            ("GET", f"/api/v1/doctors/{d}/patients/{p}", None),
            ("GET", f"/api/v1/doctors/{d}/patients/{p}/visits", None),
            ("GET", f"/api/v1/visits/{v}", None)]


def writes_to(c: Care) -> list[tuple[str, str, dict | None]]:
    """Every route that changes ``c``'s patient, association or visit."""
    d, p, v = c.doctor.doctor_id, c.patient_id, c.visit_id
    return [("PUT", f"/api/v1/patients/{p}", {"address": "changed"}),
            ("POST", f"/api/v1/doctors/{d}/patients", {"patientPhone": next_phone(), "patientName": "New"}),
            ("PUT", f"/api/v1/doctors/{d}/patients/{p}", {"notes": "changed"}),
            ("DELETE", f"/api/v1/doctors/{d}/patients/{p}", None),
            ("POST", f"/api/v1/doctors/{d}/patients/{p}/visits", {"chiefComplaint": "changed"}),
            ("PUT", f"/api/v1/visits/{v}", {"diagnosis": "changed"}),
            ("POST", f"/api/v1/visits/{v}/diagnosis", {"icd10Code": "I10"}),
            ("POST", f"/api/v1/visits/{v}/prescription", {"medications": [{"name": "changed"}]}),
            ("POST", f"/api/v1/visits/{v}/notes", {"privateNotes": "changed"})]


async def assert_not_found(client, caller: Member, calls) -> None:
    for method, path, body in calls:
        answer = await client.request(method, path, json=body, headers=caller.headers)
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
        assert answer.json()["success"] is False


async def assert_unchanged(db, c: Care) -> None:
    visit = await db.get(Visit, ids.parse(ids.VISIT, c.visit_id))
    await db.refresh(visit)
    assert visit.diagnosis is None and visit.icd10_code is None and visit.prescription == []


async def test_a_doctor_reads_and_writes_only_their_own_records(client, db, clinics, cares):
    a1, a2 = cares["a1"], cares["a2"]
    for method, path, body in reads_of(a1):  # their own: yes
        assert (await client.request(method, path, json=body, headers=a1.doctor.headers)).status_code == 200, path
    await assert_not_found(client, a1.doctor, reads_of(a2) + writes_to(a2))
    # Nor through their own doctor id: a2's patient is not theirs.
    mine = a1.doctor.doctor_id
    await assert_not_found(client, a1.doctor, [("GET", f"/api/v1/doctors/{mine}/patients/{a2.patient_id}", None),
                                               ("GET", f"/api/v1/doctors/{mine}/patients/{a2.patient_id}/visits", None),
                                               ("POST", f"/api/v1/doctors/{mine}/patients/{a2.patient_id}/visits", {})])
    search = await client.get("/api/v1/patients/search", headers=a1.doctor.headers)
    assert [p["patientId"] for p in search.json()["data"]["patients"]] == [a1.patient_id]
    await assert_not_found(client, a1.doctor, [
        ("GET", f"/api/v1/patients/search?doctorId={a2.doctor.doctor_id}", None)])
    await assert_unchanged(db, a2)


async def test_a_shared_patient_shows_each_doctor_only_their_own_visits(client, clinics, cares):
    a1, a2 = cares["a1"], cares["a2"]
    phone = (await client.get(f"/api/v1/patients/{a1.patient_id}", headers=a1.doctor.headers)
             ).json()["data"]["patient"]["patientPhone"]
    shared = await associated_patient(client, a2.doctor, phone=phone)
    assert shared == a1.patient_id
    theirs = await recorded_visit(client, a2.doctor, shared, chiefComplaint="Chest pain")

    own = await client.get(f"/api/v1/doctors/{a1.doctor.doctor_id}/patients/{shared}/visits",
                           headers=a1.doctor.headers)
    assert [v["visitId"] for v in own.json()["data"]["visits"]] == [a1.visit_id]
    await assert_not_found(client, a1.doctor, [
        ("GET", f"/api/v1/visits/{theirs}", None),
        ("GET", f"/api/v1/doctors/{a2.doctor.doctor_id}/patients/{shared}/visits", None)])
    found = await client.get("/api/v1/patients/search", headers=a1.doctor.headers)
    assert [p["totalVisits"] for p in found.json()["data"]["patients"]] == [1]  # a2's visit is not counted
    # The admin sees both doctors' visits with the patient.
    admin = clinics[0].admin
    both = await client.get("/api/v1/patients/search", headers=admin.headers, params={"name": "Anil"})
    assert both.json()["data"]["patients"][0]["totalVisits"] == 2
    assert (await client.get(f"/api/v1/visits/{theirs}", headers=admin.headers)).status_code == 200


async def test_a_clinic_admin_sees_all_of_their_clinic_and_nothing_of_another_even_by_guessing(
        client, db, clinics, cares):
    a, b = clinics
    for key in ("a1", "a2"):
        for method, path, body in reads_of(cares[key]):
            answer = await client.request(method, path, json=body, headers=a.admin.headers)
            assert answer.status_code == 200, (path, answer.text)
    for key in ("b1", "b2"):
        await assert_not_found(client, a.admin, reads_of(cares[key]) + writes_to(cares[key]) + [
            ("GET", f"/api/v1/patients/{cares[key].patient_id}/audit", None)])
        await assert_unchanged(db, cares[key])
    # Guessing: the ids next to the other clinic's are not found either, and searching finds none of them.
    last_visit = ids.parse(ids.VISIT, cares["b2"].visit_id)
    await assert_not_found(client, a.admin, [("GET", f"/api/v1/visits/visit_{last_visit + 1}", None),
                                             ("GET", f"/api/v1/visits/visit_{last_visit - 1}", None)])
    everyone = await client.get("/api/v1/patients/search", headers=a.admin.headers)
    assert {p["name"] for p in everyone.json()["data"]["patients"]} == {"Anil One", "Asha Two"}
    doctor_b = await client.get("/api/v1/patients/search", headers=a.admin.headers,
                                params={"doctorId": b.doctors[0].doctor_id})
    assert doctor_b.status_code == 404


async def test_what_one_clinic_recorded_never_shows_in_another(client, clinics):
    a, b = clinics
    phone = next_phone()
    made = await client.post("/api/v1/patients", headers=a.admin.headers, json={
        "phone": phone, "name": "Meera Shah", "dateOfBirth": "1980-05-15", "bloodGroup": "B+",
        "allergies": ["Penicillin"], "chronicConditions": ["Diabetes"], "address": "1 Clinic A Road"})
    in_a = made.json()["data"]["patientId"]
    await recorded_visit(client, a.doctors[0], await associated_patient(client, a.doctors[0], phone=phone))

    # Clinic B meets the same person (one phone): B starts from an empty record of its own.
    in_b = await associated_patient(client, b.doctors[0], phone=phone, name="M. Shah")
    assert in_b == in_a  # one person ...
    seen = (await client.get(f"/api/v1/patients/{in_b}", headers=b.admin.headers)).json()["data"]["patient"]
    assert seen["name"] == "M. Shah" and seen["allergies"] == [] and seen["chronicConditions"] == []
    assert seen["dateOfBirth"] is None and seen["bloodGroup"] is None and seen["address"] is None
    listed = (await client.get(f"/api/v1/doctors/{b.doctors[0].doctor_id}/patients/{in_b}",
                               headers=b.doctors[0].headers)).json()["data"]["patient"]
    assert listed["totalVisits"] == 0 and listed["medicalHistory"]["allergies"] == []
    visits = await client.get(f"/api/v1/doctors/{b.doctors[0].doctor_id}/patients/{in_b}/visits",
                              headers=b.admin.headers)
    assert visits.json()["data"]["visits"] == []
    assert (await client.get("/api/v1/patients/search", params={"name": "Meera"},
                             headers=b.admin.headers)).json()["data"]["totalFound"] == 0
    # ... and what B writes stays in B.
    await client.put(f"/api/v1/patients/{in_b}", headers=b.admin.headers, json={"allergies": ["Latex"]})
    again = (await client.get(f"/api/v1/patients/{in_a}", headers=a.admin.headers)).json()["data"]["patient"]
    assert again["name"] == "Meera Shah" and again["allergies"] == ["Penicillin"]
    assert "Latex" not in (await client.get("/api/v1/patients/search", headers=a.admin.headers)).text


async def test_private_notes_are_for_their_author_and_the_clinic_admin_only_and_never_listed(
        client, clinics, cares):
    a, b = clinics
    a1 = cares["a1"]
    note_path = f"/api/v1/visits/{a1.visit_id}/notes"
    assert (await client.post(note_path, json={"privateNotes": "Doctor's own worry"},
                              headers=a1.doctor.headers)).status_code == 201
    assert (await client.post(note_path, json={"privateNotes": "Admin's confidential remark", "isConfidential": True},
                              headers=a.admin.headers)).status_code == 201
    assert (await client.post(note_path, json={"privateNotes": "Admin's shared remark", "isConfidential": False},
                              headers=a.admin.headers)).status_code == 201

    async def notes_seen_by(member: Member) -> str | None:
        answer = await client.get(f"/api/v1/visits/{a1.visit_id}", headers=member.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["visit"]["privateNotes"]

    assert await notes_seen_by(a1.doctor) == "Doctor's own worry\n\nAdmin's shared remark"
    assert await notes_seen_by(a.admin) == ("Doctor's own worry\n\nAdmin's confidential remark\n\n"
                                            "Admin's shared remark")
    await assert_not_found(client, a.doctors[1], [("GET", f"/api/v1/visits/{a1.visit_id}", None)])
    await assert_not_found(client, b.admin, [("GET", f"/api/v1/visits/{a1.visit_id}", None)])

    d = a1.doctor.doctor_id
    for member in (a1.doctor, a.admin):
        for path in (f"/api/v1/doctors/{d}/patients/{a1.patient_id}/visits", f"/api/v1/doctors/{d}/patients",
                     f"/api/v1/doctors/{d}/patients/{a1.patient_id}", "/api/v1/patients/search",
                     f"/api/v1/patients/{a1.patient_id}"):
            answer = await client.get(path, headers=member.headers)
            assert answer.status_code == 200 and "remark" not in answer.text and "worry" not in answer.text, path


async def test_doctors_have_no_access_to_subscription_payments_or_revenue(client, clinics, cares):
    a, _ = clinics
    doctor = a.doctors[0]
    for method, path, body in [("GET", "/api/v1/clinics/subscription", None),
                               ("POST", "/api/v1/clinics/subscription/upgrade", {"plan": "ENTERPRISE"}),
                               ("GET", "/api/v1/clinics/invoices", None),
                               ("GET", f"/api/v1/patients/{cares['a1'].patient_id}/audit", None)]:
        answer = await client.request(method, path, json=body, headers=doctor.headers)
        assert answer.status_code == 403, (path, answer.status_code, answer.text)
    assert (await client.get("/api/v1/clinics/subscription", headers=a.admin.headers)).status_code == 200


async def test_every_read_of_a_visit_or_patient_record_is_audited_and_the_admin_lists_the_trail(
        client, db, clinics, cares):
    a, _ = clinics
    a1 = cares["a1"]
    patient = ids.parse(ids.PATIENT, a1.patient_id)

    async def actions() -> list[str]:
        rows = await db.execute(select(AuditEvent.action).where(AuditEvent.patient_id == patient)
                                .order_by(AuditEvent.id))
        return list(rows.scalars())

    before = await actions()
    d = a1.doctor.doctor_id
    for path in (f"/api/v1/patients/{a1.patient_id}", f"/api/v1/doctors/{d}/patients/{a1.patient_id}",
                 f"/api/v1/doctors/{d}/patients/{a1.patient_id}/visits", f"/api/v1/visits/{a1.visit_id}"):
        assert (await client.get(path, headers=a1.doctor.headers)).status_code == 200
    assert (await client.get(f"/api/v1/visits/{a1.visit_id}", headers=a.admin.headers)).status_code == 200
    assert (await actions())[len(before):] == ["patient.read", "association.read", "visit.list", "visit.read",
                                               "visit.read"]

    trail = await client.get(f"/api/v1/patients/{a1.patient_id}/audit", headers=a.admin.headers)
    assert trail.status_code == 200, trail.text
    events = trail.json()["data"]["events"]
    assert trail.json()["data"]["totalCount"] == len(before) + 5
    assert set(events[0]) == {"action", "resourceType", "resourceId", "actorId", "actorRole", "outcome", "at"}
    newest = events[0]
    assert newest["action"] == "visit.read" and newest["resourceId"] == a1.visit_id
    assert newest["actorId"] == a.admin.user_id and newest["actorRole"] == "ADMIN"
    by_doctor = events[1]
    assert by_doctor["actorId"] == a1.doctor.user_id and by_doctor["actorRole"] == "DOCTOR"
    # Reading the trail is itself a read of the patient's records.
    assert (await actions())[-1] == "patient.audit.read"


async def test_a_refused_read_is_audited_as_denied(client, db, cares):
    a1, a2 = cares["a1"], cares["a2"]
    assert (await client.get(f"/api/v1/visits/{a2.visit_id}", headers=a1.doctor.headers)).status_code == 404
    assert (await client.get(f"/api/v1/patients/{a2.patient_id}", headers=a1.doctor.headers)).status_code == 404
    rows = await db.execute(select(AuditEvent.action, AuditEvent.resource_id, AuditEvent.outcome).where(
        AuditEvent.actor_user_id == a1.doctor.user.id, AuditEvent.outcome == "DENIED").order_by(AuditEvent.id))
    assert [tuple(r) for r in rows] == [
        ("visit.read", str(ids.parse(ids.VISIT, a2.visit_id)), "DENIED"),
        ("patient.read", str(ids.parse(ids.PATIENT, a2.patient_id)), "DENIED")]
