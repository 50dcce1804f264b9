"""The payment use cases called directly (no HTTP): they answer in models and small dataclasses, money in integer
paise; rupees, camelCase and ISO strings are the hospital surface's business (tests/payments/test_checkout.py)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from clinicops.appointments.models import Appointment
from clinicops.authz.principal import Principal, Role
from clinicops.config import get_settings
from clinicops.payments import checkout, links, service
from clinicops.payments.models import Payment
from tests.builders.payments import make_appointment, make_desk_user, rzp_hmac


def _patient(clinic) -> Principal:
    return Principal(user_id=clinic.patient_user.id, user_type="PATIENT", organization_id=clinic.org.id,
                     patient_id=clinic.patient.id)


def _desk(user, clinic) -> Principal:
    return Principal(user_id=user.id, user_type="STAFF", organization_id=clinic.org.id,
                     roles=frozenset({Role.FRONT_DESK}), role_centres={Role.FRONT_DESK: frozenset({clinic.centre.id})})


def _no_wire(result) -> None:
    """A domain result: a dataclass of models and plain values, never a dict and never a float (rupees)."""
    assert is_dataclass(result) and not isinstance(result, dict), result
    for f in fields(result):
        value = getattr(result, f.name)
        assert not isinstance(value, (dict, float)), (f.name, value)


async def test_checkout_answers_in_models_and_paise(db, clinic):
    appointment = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                         patient=clinic.patient)
    patient = _patient(clinic)
    fee, registration = clinic.clinician.consultation_fee_paise, clinic.org.registration_fee_paise

    order = await checkout.create_order(db, patient, appointment_id=appointment.id, organization_id=clinic.org.id)
    _no_wire(order)
    assert isinstance(order.payment, Payment) and isinstance(order.appointment, Appointment)
    assert (order.payment.amount_paise, order.payment.consultation_fee_paise,
            order.payment.registration_fee_paise) == (fee + registration, fee, registration)
    assert order.key_id == get_settings().razorpay_key_id

    due = await service.registration_fee_status(db, patient, patient_id=None, organization_id=clinic.org.id)
    _no_wire(due)
    assert (due.paid, due.due_paise, due.paid_at) == (False, registration, None)

    signature = rzp_hmac(get_settings().razorpay_key_secret, f"{order.payment.order_id}|pay_CORE0000000001")
    paid = await checkout.verify(db, patient, appointment_id=appointment.id, organization_id=clinic.org.id,
                                 order_id=order.payment.order_id or "", payment_id="pay_CORE0000000001",
                                 signature=signature)
    _no_wire(paid)
    assert paid.payment.status == "SUCCESS" and paid.appointment.status == "CONFIRMED"

    found = await service.for_appointment(db, patient, appointment.id, organization_id=clinic.org.id)
    _no_wire(found)
    assert found.current.id == paid.payment.id and [p.id for p in found.attempts] == [paid.payment.id]

    rows, total = await service.history(db, patient, limit=20, offset=0, organization_id=clinic.org.id)
    assert total == 1 and [(p.id, a.id) for p, a in rows] == [(paid.payment.id, appointment.id)]
    assert isinstance(rows[0][0].amount_paise, int)

    settled = await service.registration_fee_status(db, patient, patient_id=None, organization_id=clinic.org.id)
    assert (settled.paid, settled.due_paise) == (True, 0) and settled.paid_at is not None


async def test_desk_use_cases_answer_in_models_and_paise(db, clinic):
    desk = _desk(await make_desk_user(db, clinic), clinic)
    by_link = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                     patient=clinic.patient)
    issued = await links.create(db, desk, appointment_id=by_link.id, callback_url="https://surface.test/back")
    _no_wire(issued)
    assert issued.sent is False and issued.payment.link_url and issued.payment.link_expires_at is not None
    assert issued.payment.amount_paise == (clinic.clinician.consultation_fee_paise
                                           + clinic.org.registration_fee_paise)

    at_desk = await make_appointment(db, org=clinic.org, centre=clinic.centre, clinician=clinic.clinician,
                                     patient=clinic.patient)
    cash = await checkout.confirm_direct(db, desk, appointment_id=at_desk.id, method="CASH", notes=None)
    _no_wire(cash)
    assert cash.payment.provider == "DIRECT" and cash.payment.status == "SUCCESS"
    assert (cash.payment.consultation_fee_paise, cash.payment.registration_fee_paise) == (
        clinic.clinician.consultation_fee_paise, clinic.org.registration_fee_paise)  # the unpaid link paid nothing
    assert cash.appointment.status == "CONFIRMED"
