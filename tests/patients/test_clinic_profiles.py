"""The clinic's patient records and associations, called as use cases (the HTTP side: tests/clinic)."""

from __future__ import annotations

from datetime import date

import pytest

from clinicops.authz.principal import Principal, Role
from clinicops.errors import ValidationFailed
from clinicops.patients import associations, profiles
from clinicops.patients.exceptions import AlreadyAssociated, DoctorNotFound, PatientNotFound
from tests.builders.clinic import make_clinic
from tests.builders.people import next_phone


@pytest.fixture
async def clinic_a(db):
    return await make_clinic(db, name="Sunrise Clinic")


@pytest.fixture
async def clinic_b(db):
    return await make_clinic(db, name="Lakeside Clinic")


def admin_of(clinic) -> Principal:
    return Principal(user_id=clinic.admin.user.id, user_type="STAFF", organization_id=clinic.org.id,
                     roles=frozenset({Role.ADMIN}), role_centres={Role.ADMIN: None}, organization_kind="CLINIC")


def doctor_of(clinic, index: int) -> Principal:
    member = clinic.doctors[index]
    return Principal(user_id=member.user.id, user_type="STAFF", organization_id=clinic.org.id,
                     roles=frozenset({Role.CLINICIAN}), role_centres={Role.CLINICIAN: None},
                     clinician_id=member.clinician.id, organization_kind="CLINIC")


@pytest.mark.parametrize(("born", "today", "age"), [
    (date(1992, 3, 15), date(2026, 3, 14), 33), (date(1992, 3, 15), date(2026, 3, 15), 34),
    (date(2000, 2, 29), date(2026, 2, 28), 25), (None, date(2026, 1, 1), None)])
def test_age_is_counted_from_the_birth_date_in_the_clinics_today(born, today, age):
    assert profiles.age_on(born, None, today) == age
    assert profiles.age_on(None, 40, today) == 40


@pytest.mark.parametrize(("given", "prefix"), [
    ("+9199887", "+9199887"), ("99887 66", "+919988766"), ("919988776655", "+919988776655"),
    ("09988", "+919988"), ("", None), (None, None)])
def test_a_searched_phone_becomes_the_start_of_an_e164_number(given, prefix):
    assert profiles.phone_prefix(given) == prefix


def test_a_searched_phone_that_is_no_phone_is_refused():
    with pytest.raises(ValidationFailed):
        profiles.phone_prefix("98%")


async def test_associating_a_known_patient_fills_only_what_the_clinic_had_not_recorded(db, clinic_a):
    admin, doctor = admin_of(clinic_a), doctor_of(clinic_a, 0)
    phone = next_phone()
    made = await profiles.create(db, admin, phone=phone, full_name="Kavya Menon", gender="FEMALE")
    linked = await associations.associate(db, doctor, clinic_a.doctors[0].clinician.id, phone=phone,
                                          patient_name="K. Menon", age=29, gender="MALE",
                                          preferences={"preferred_time": "EVENING"})
    assert linked.patient.patient_id == made.patient_id
    record = linked.patient.record
    assert (record.full_name, record.gender, record.age) == ("Kavya Menon", "FEMALE", 29)
    assert linked.relationship.preferences == {"preferred_time": "EVENING"}
    with pytest.raises(AlreadyAssociated):
        await associations.associate(db, admin, clinic_a.doctors[0].clinician.id, phone=phone)


async def test_a_doctor_opens_only_their_own_list_and_patients(db, clinic_a, clinic_b):
    doctor = doctor_of(clinic_a, 0)
    other = clinic_a.doctors[1].clinician.id
    theirs = await associations.associate(db, doctor_of(clinic_a, 1), other, phone=next_phone(),
                                          patient_name="Ravi")
    with pytest.raises(DoctorNotFound):
        await associations.patients_of(db, doctor, other)
    with pytest.raises(DoctorNotFound):
        await associations.patients_of(db, admin_of(clinic_a), clinic_b.doctors[0].clinician.id)
    with pytest.raises(PatientNotFound):
        await profiles.get(db, doctor, theirs.patient.patient_id)
    with pytest.raises(PatientNotFound):
        await profiles.get(db, admin_of(clinic_b), theirs.patient.patient_id)
    assert (await profiles.get(db, admin_of(clinic_a), theirs.patient.patient_id)).record.full_name == "Ravi"
