"""Every route agrees on who sees what (authz/scopes.py).

Every kind of principal calls every route that reads or writes an appointment, its payment, its Meet link, its
session record (visit), or a patient's record, by id, for every row of the sweep's world (tests/authz/world.py).
A row is *shown* when the answer differs from the answer for an id that does not exist, *hidden* when it is that
same answer (404, same message), and a route is *closed* to a principal whose role may not call it (403 for every
id). Lists show a row when it is in them. For each principal and row, every open route must say the same, and what
the expectation tables below say: for each (principal, appointment) the appointment, its history, its payment, its
Meet link and the patient record's appointment list are all shown or all 404.

The route list comes from the real app: a route whose path names one of these resources must be in ``PROBES`` or
in ``NOT_SWEPT`` (with the reason), so a new route cannot skip the sweep unnoticed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.routing import iter_route_contexts

from clinicops.kit.timezones import utcnow
from tests.authz.world import Row, SweepWorld, build

MISSING_ID = 987_654_321
MISSING = Row(MISSING_ID, MISSING_ID, MISSING_ID, "plink_sweep_missing")

# ---- who should see what (the rule, written out for this world; see world.py's table) -------------------------
ORG_A = {"ax1", "ax2", "ay1", "ay2"}
SEES = {  # appointments, with their payments, Meet links and places in patients' records
    "admin": ORG_A, "manager": ORG_A,
    "centre_manager": {"ax1", "ay1"}, "front_desk": {"ax1", "ay1"}, "care_coordinator": {"ax2", "ay2"},
    "clinician": {"ax1", "ax2"},                   # their own, at any centre
    "clinician_manager": {"ay1", "ay2", "ax2"},    # their own everywhere, and all of A2 which they manage
    "patient": {"ax1", "ay1"},                     # p1's, in the organization their session acts in (not b1)
    "other_admin": {"b1"},
}
CONDUCTS = {"clinician": {"ax1", "ax2"}, "clinician_manager": {"ay1", "ay2"}}  # session records: own sessions only
EVERY_PATIENT = {"p1", "p2", "p3", "p4"}
PATIENTS = {  # staff reads of patient records
    "admin": EVERY_PATIENT, "manager": EVERY_PATIENT, "centre_manager": EVERY_PATIENT, "front_desk": EVERY_PATIENT,
    "care_coordinator": EVERY_PATIENT, "clinician_manager": EVERY_PATIENT,
    "clinician": {"p1", "p2", "p3"},               # appointments with them, or in their care (p3)
    "other_admin": {"p1"}, "patient": set(),
}
PAYMENTS = {who: SEES[who] | ({"p2-registration"} if "p2" in PATIENTS[who] else set()) for who in SEES}
EXPECTED = {"reads": SEES, "conducts": CONDUCTS, "patient": PATIENTS, "payment": PAYMENTS}


# ---- how each route is called ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    """One way to call a route about one row: ``rule`` says which table above it must follow."""

    method: str
    url: str                                   # formatted with the row: {appointment} {patient} {payment} {link}
    rule: str = "reads"
    body: Callable[[Row], dict] | None = None
    listed: Callable[[Any], set[int]] | None = None  # a list: the ids in its answer
    key: str = "appointment"                   # the row's id a list must hold (appointment / payment / patient)
    staff_only: bool = False                   # a patient calling it reads their own rows whatever the id says

    @property
    def rows(self) -> str:
        return {"reads": "appointments", "conducts": "appointments", "patient": "patients",
                "payment": "payments"}[self.rule]


def _data(json: Any) -> set[int]:
    return {row["id"] for row in json["data"]}


def _in(name: str, field: str = "id") -> Callable[[Any], set[int]]:
    return lambda json: {row[field] for row in json["data"][name]}


def _own_days(json: Any) -> set[int]:
    return {row["id"] for group in ("current", "upcoming", "past") for row in json["data"][group]}


def _appointment_ref(row: Row) -> dict:
    return {"appointmentId": row.appointment}


def _checkout(row: Row) -> dict:
    return {"appointmentId": row.appointment, "razorpayOrderId": "order_SWEEP0000001",
            "razorpayPaymentId": "pay_SWEEP00000001", "razorpaySignature": "0" * 64}


def _failure(row: Row) -> dict:
    return {"appointmentId": row.appointment, "razorpayOrderId": "order_SWEEP0000001", "errorCode": "DECLINED"}


def _later(days: int) -> str:
    return (utcnow() + timedelta(days=days)).replace(hour=5, minute=0, second=0, microsecond=0).isoformat()


def _notes(row: Row) -> dict:
    return {"notes": "sweep"}


A = "/api/appointments/{appointment_id:int}"
AID = "/api/appointments/{appointment}"
P = "/api/patients/{patient_id:int}"
PID = "/api/patients/{patient}"
MEET = "/api/video/appointment/{appointment_id:int}/meet-link"
MEET_ID = "/api/video/appointment/{appointment}/meet-link"
RANGE = "startDate={:%Y-%m-%d}&endDate={:%Y-%m-%d}"

# (method, path as the app declares it) -> how to call it
PROBES: dict[tuple[str, str], tuple[Probe, ...]] = {
    # the staff appointment book
    ("GET", A): (Probe("GET", AID),),
    ("GET", A + "/history"): (Probe("GET", AID + "/history"),),
    ("PUT", A): (Probe("PUT", AID, body=_notes),),
    ("PATCH", A): (Probe("PATCH", AID, body=_notes),),
    ("PATCH", A + "/notes"): (Probe("PATCH", AID + "/notes", body=_notes),),
    ("PATCH", A + "/status"): (Probe("PATCH", AID + "/status", body=lambda r: {"status": "CHECKED_IN"}),),
    ("POST", A + "/status"): (Probe("POST", AID + "/status", body=lambda r: {"status": "CHECKED_IN"}),),
    ("POST", A + "/reschedule"): (Probe("POST", AID + "/reschedule",
                                        body=lambda r: {"scheduled_start_at": _later(20)}),),
    ("PATCH", A + "/reschedule"): (Probe("PATCH", AID + "/reschedule",
                                         body=lambda r: {"scheduled_start_at": _later(21)}),),
    ("DELETE", A): (Probe("DELETE", AID),),
    ("POST", A + "/cancel"): (Probe("POST", AID + "/cancel", body=lambda r: {"reason": "sweep"}),),
    ("GET", "/api/appointments"): (Probe("GET", "/api/appointments", listed=_data),),
    # the clinician's own sessions (visits): only the appointment's own clinician
    ("POST", A + "/start-session"): (Probe("POST", AID + "/start-session", rule="conducts"),),
    ("POST", A + "/end-session"): (Probe("POST", AID + "/end-session", rule="conducts"),),
    ("POST", A + "/clinician-notes"): (Probe("POST", AID + "/clinician-notes", rule="conducts",
                                             body=lambda r: {"session_notes": "sweep"}),),
    ("GET", A + "/previous-notes"): (Probe("GET", AID + "/previous-notes", rule="conducts"),),
    ("POST", A + "/schedule-followup"): (Probe("POST", AID + "/schedule-followup", rule="conducts",
                                               body=lambda r: {"follow_up_date": _later(30)[:10]}),),
    ("GET", "/api/appointments/my-appointments"): (Probe("GET", "/api/appointments/my-appointments",
                                                         rule="conducts", listed=_own_days),),
    ("GET", "/api/appointments/dashboard/appointments"): (
        Probe("GET", "/api/appointments/dashboard/appointments?" + RANGE.format(
            utcnow().date() - timedelta(days=1), utcnow().date() + timedelta(days=30)),
              rule="conducts", listed=_data),),
    # payments of an appointment
    ("GET", "/api/payments/{appointment_id:int}"): (Probe("GET", "/api/payments/{appointment}"),),
    ("POST", "/api/payments/create-order"): (Probe("POST", "/api/payments/create-order", body=_appointment_ref),),
    ("POST", "/api/payment/create-order"): (Probe("POST", "/api/payment/create-order", body=_appointment_ref),),
    ("POST", "/api/payments/verify"): (Probe("POST", "/api/payments/verify", body=_checkout),),
    ("POST", "/api/payment/verify"): (Probe("POST", "/api/payment/verify", body=_checkout),),
    ("POST", "/api/payments/failure"): (Probe("POST", "/api/payments/failure", body=_failure),),
    ("POST", "/api/payments/create-link"): (Probe("POST", "/api/payments/create-link", body=_appointment_ref),),
    ("POST", "/api/payment/send-link"): (Probe("POST", "/api/payment/send-link", body=_appointment_ref),),
    ("POST", A + "/send-payment-link"): (Probe("POST", AID + "/send-payment-link"),),
    ("POST", A + "/confirm-direct-payment"): (Probe("POST", AID + "/confirm-direct-payment",
                                                    body=lambda r: {"payment_method": "CASH"}),),
    ("GET", "/api/payments/history"): (Probe("GET", "/api/payments/history", listed=_in("payments"),
                                             key="payment"),),
    ("GET", "/api/payments/patient/{patient_id:int}"): (
        Probe("GET", "/api/payments/patient/{patient}", listed=_in("payments"), key="payment"),
        Probe("GET", "/api/payments/patient/{patient}", rule="patient"),),
    ("POST", "/api/payments/{payment_id:int}/refund"): (Probe("POST", "/api/payments/{payment}/refund",
                                                              rule="payment", body=lambda r: {"amount": 1}),),
    ("GET", "/api/payments/verify/{payment_link_id}"): (Probe("GET", "/api/payments/verify/{link}", rule="payment"),),
    ("GET", "/api/payments/registration-fee-status"): (
        Probe("GET", "/api/payments/registration-fee-status?patientId={patient}", rule="patient", staff_only=True),),
    # Meet links
    ("POST", "/api/video/generate-meet-link"): (Probe("POST", "/api/video/generate-meet-link", body=_appointment_ref),),
    ("GET", MEET): (Probe("GET", MEET_ID),),
    ("PUT", MEET): (Probe("PUT", MEET_ID, body=lambda r: {"meetLink": "https://meet.google.com/new-room-swp"}),),
    ("DELETE", MEET): (Probe("DELETE", MEET_ID),),
    ("GET", "/api/video/links"): (Probe("GET", "/api/video/links", listed=_in("links", "appointmentId")),),
    # messages about an appointment
    ("POST", "/api/notifications/appointment-confirmation"): (
        Probe("POST", "/api/notifications/appointment-confirmation", body=_appointment_ref),),
    ("POST", "/api/notifications/appointment-reminder"): (
        Probe("POST", "/api/notifications/appointment-reminder", body=_appointment_ref),),
    # patient records
    ("GET", "/api/patients"): (Probe("GET", "/api/patients", rule="patient", listed=_data, key="patient"),),
    ("GET", P): (Probe("GET", PID, rule="patient"),
                 Probe("GET", PID, listed=_in("appointments")),
                 Probe("GET", PID, rule="payment", listed=_in("payments"), key="payment")),
    ("PUT", P): (Probe("PUT", PID, rule="patient", body=lambda r: {"address": "1 Sweep Street"}),),
    ("GET", P + "/appointments"): (Probe("GET", PID + "/appointments", listed=_data),),
    ("GET", P + "/notes"): (Probe("GET", PID + "/notes", rule="patient"),),
    ("POST", P + "/notes"): (Probe("POST", PID + "/notes", rule="patient", body=lambda r: {"noteText": "sweep"}),),
    # the patient's own side
    ("GET", "/api/booking/{appointment_id:int}"): (Probe("GET", "/api/booking/{appointment}"),),
    ("POST", "/api/booking/{appointment_id:int}/cancel"): (Probe("POST", "/api/booking/{appointment}/cancel"),),
    ("GET", "/api/patient/appointments/{appointment_id:int}"): (Probe("GET", "/api/patient/appointments/{appointment}"),),
    ("POST", "/api/patient/appointments/{appointment_id:int}/cancel"): (
        Probe("POST", "/api/patient/appointments/{appointment}/cancel"),),
    ("GET", "/api/patient-dashboard/appointments/{appointment_id:int}"): (
        Probe("GET", "/api/patient-dashboard/appointments/{appointment}"),),
    ("POST", "/api/patient-dashboard/appointments/{appointment_id:int}/cancel"): (
        Probe("POST", "/api/patient-dashboard/appointments/{appointment}/cancel"),),
    ("GET", "/api/booking/my-appointments"): (Probe("GET", "/api/booking/my-appointments",
                                                    listed=_in("appointments")),),
    ("GET", "/api/patient/appointments"): (Probe("GET", "/api/patient/appointments", listed=_in("appointments")),),
    ("GET", "/api/patient-dashboard/appointments"): (Probe("GET", "/api/patient-dashboard/appointments",
                                                           listed=_in("appointments")),),
    ("GET", "/api/patient/payments"): (Probe("GET", "/api/patient/payments", listed=_in("payments"),
                                             key="payment"),),
}

# Routes whose path names one of these resources but that read or write no existing row of them by id.
NOT_SWEPT = {
    ("POST", "/api/appointments"): "books a new appointment (scope of its patient/centre: tests/appointments)",
    ("POST", "/api/patients"): "registers a walk-in: a new patient record",
    ("POST", "/api/booking/create"): "a patient books for themselves",
    ("POST", "/api/booking/initiate"): "alias of /api/booking/create",
    ("POST", "/api/booking/front-desk"): "the desk books by phone number",
    ("GET", "/api/appointments/availability"): "free slots of a clinician",
    ("GET", "/api/booking/available-slots"): "free slots",
    ("GET", "/api/booking/dates-with-slots"): "free slots",
    ("GET", "/api/booking/clinician-slots"): "free slots",
    ("GET", "/api/appointments/dashboard/stats"): "counts of the list beside it (swept)",
    ("POST", "/api/admin/slots/affected-patients"): "appointments a planned block would overlap (clinicians' "
                                                    "centre scope, tests/clinicians/test_blocks.py)",
    ("GET", "/api/patient/dashboard"): "summary of the patient's own lists (swept) — test_patient_tenancy.py",
    ("GET", "/api/patient/profile"): "the signed-in patient's own profile",
    ("PUT", "/api/patient/profile"): "the signed-in patient's own profile",
    ("GET", "/api/patient-dashboard/profile"): "alias of /api/patient/profile",
    ("PUT", "/api/patient-dashboard/profile"): "alias of /api/patient/profile",
    ("GET", "/api/patient/notifications"): "the patient's own messages",
    ("GET", "/api/patient/notifications/unread-count"): "a constant",
    ("PUT", "/api/patient/notifications/{notification_id:int}/read"): "a constant",
    ("POST", "/api/patient-auth/send-otp"): "sign-in",
    ("POST", "/api/patient-auth/verify-otp"): "sign-in",
    ("POST", "/api/patient-auth/login-with-password"): "sign-in",
    ("POST", "/api/patient-auth/refresh-token"): "sign-in",
    ("POST", "/api/patient-auth/logout"): "sign-in",
    ("GET", "/api/patient-auth/me"): "sign-in",
    ("POST", "/api/payments/webhook"): "the provider's signed callback, no principal",
    ("POST", "/api/payment/webhook"): "alias of /api/payments/webhook",
    ("GET", "/api/payments/link-callback"): "the provider's signed redirect, no principal",
    ("POST", "/api/payments/offline/checkout"): "the offline provider's own page (development)",
    ("GET", "/api/payments/offline/pay/{link_id}"): "the offline provider's own page (development)",
    ("POST", "/api/payments/offline/pay/{link_id}"): "the offline provider's own page (development)",
}
# The clinic surface's care records (patients, associations, visits): a clinic's ADMIN and DOCTORs only, swept
# across two clinics with two doctors each in tests/clinic/test_care_privacy.py (reads_of / writes_to).
_CARE_RECORDS = "clinic care records: every caller kind in tests/clinic/test_care_privacy.py"
NOT_SWEPT |= {(method, path): _CARE_RECORDS for method, path in (
    ("GET", "/api/v1/patients/search"), ("POST", "/api/v1/patients"), ("GET", "/api/v1/patients/{patientId}"),
    ("PUT", "/api/v1/patients/{patientId}"), ("GET", "/api/v1/patients/{patientId}/audit"),
    ("GET", "/api/v1/doctors/{doctorId}/patients"), ("POST", "/api/v1/doctors/{doctorId}/patients"),
    ("GET", "/api/v1/doctors/{doctorId}/patients/{patientId}"),
    ("PUT", "/api/v1/doctors/{doctorId}/patients/{patientId}"),
    ("DELETE", "/api/v1/doctors/{doctorId}/patients/{patientId}"),
    ("GET", "/api/v1/doctors/{doctorId}/patients/{patientId}/visits"),
    ("POST", "/api/v1/doctors/{doctorId}/patients/{patientId}/visits"),
    ("GET", "/api/v1/visits/{visitId}"), ("PUT", "/api/v1/visits/{visitId}"),
    ("POST", "/api/v1/visits/{visitId}/diagnosis"), ("POST", "/api/v1/visits/{visitId}/prescription"),
    ("POST", "/api/v1/visits/{visitId}/notes"))}

# A patient's data rights at a clinic: its ADMIN only (a doctor 403, another clinic 404), across two clinics with two
# doctors each in tests/clinic/test_data_rights.py.
NOT_SWEPT |= {(method, path): "patient data rights: every caller kind in tests/clinic/test_data_rights.py"
              for method, path in (("GET", "/api/v1/patients/{patientId}/export"),
                                   ("POST", "/api/v1/patients/{patientId}/erasure"))}

NOT_SWEPT[("POST", "/api/v1/clinics/invoices/{invoiceId}/payment-link")] = (
    "a clinic's own subscription invoice, not a patient payment: admin only, another clinic's invoice 404, doctors "
    "403 in tests/clinic/test_subscription.py")

# A path naming one of the swept resources (either surface: /api and /api/v1).
RESOURCE = re.compile(r"appointment|payment|patient|meet|video|visit|queue|token|booking|notes|session")


def _app_routes(app) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        for method in context.methods or ():
            if method != "HEAD":
                found.add((method, context.path))
    return found


def test_every_route_touching_these_resources_is_swept_or_says_why_not(app):
    routes = {route for route in _app_routes(app) if RESOURCE.search(route[1])}
    unclassified = sorted(routes - set(PROBES) - set(NOT_SWEPT))
    assert not unclassified, ("classify these routes in PROBES (how to call them, which rule) or NOT_SWEPT (why "
                              f"not): {unclassified}")
    stale = sorted((set(PROBES) | set(NOT_SWEPT)) - _app_routes(app))
    assert not stale, f"no such routes any more: {stale}"


# ---- the sweep -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int
    message: str | None
    json: Any

    @classmethod
    def of(cls, response) -> Answer:
        try:
            json = response.json()
        except ValueError:
            json = None
        message = json.get("message") if isinstance(json, dict) and not json.get("success", True) else None
        return cls(response.status_code, message, json)


class Caller:
    """Calls routes as the world's principals; each call's writes are rolled back, so calls never affect each other."""

    def __init__(self, client, db, world: SweepWorld):
        self.client, self.db, self.world = client, db, world
        self.cache: dict[tuple, Answer] = {}

    async def __call__(self, who: str, probe: Probe, row: Row) -> Answer:
        url = probe.url.format(appointment=row.appointment, patient=row.patient, payment=row.payment, link=row.link)
        body = probe.body(row) if probe.body else None
        key = (who, probe.method, url, repr(body))
        if key not in self.cache:
            savepoint = await (await self.db.connection()).begin_nested()  # emitted now, unlike Session's
            try:
                response = await self.client.request(probe.method, url, json=body, headers=self.world.headers[who])
            finally:
                await savepoint.rollback()
            self.cache[key] = Answer.of(response)
        return self.cache[key]


def _rows(world: SweepWorld, probe: Probe) -> dict[str, Row]:
    if probe.rule == "patient":
        return {name: Row(MISSING_ID, patient_id, MISSING_ID, MISSING.link)
                for name, patient_id in world.patients.items()}
    if probe.rule == "payment":
        return world.payments
    return world.appointments


async def _verdict(call: Caller, who: str, probe: Probe, row: Row, baseline: Answer) -> str:
    answer = await call(who, probe, row)
    if answer.status == 403 and baseline.status == 403:
        return "closed"
    if probe.listed is not None:
        if answer.status != 200:
            return "hidden" if answer.status == 404 else f"answered {answer.status}"
        return "shown" if getattr(row, probe.key) in probe.listed(answer.json) else "hidden"
    return "hidden" if (answer.status, answer.message) == (baseline.status, baseline.message) else "shown"


async def test_every_route_agrees_on_what_each_principal_sees(client, db):
    world = await build(db)
    call = Caller(client, db, world)
    problems: list[str] = []
    # (principal, rule, row) -> verdict -> routes
    verdicts: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for who in world.headers:
        for (method, path), probes in PROBES.items():
            for probe in probes:
                if probe.staff_only and who == "patient":
                    continue
                baseline = await call(who, probe, MISSING)
                if probe.listed is None and baseline.status not in (403, 404):
                    problems.append(f"{method} {path} answers {baseline.status} for a missing id as {who}: "
                                    f"the probe's request is refused before the lookup ({baseline.message})")
                    continue
                for name, row in _rows(world, probe).items():
                    verdict = await _verdict(call, who, probe, row, baseline)
                    if baseline.status == 403 and verdict != "closed":
                        problems.append(f"{method} {path}: 403 for a missing id but {verdict} {name} as {who}")
                    if verdict != "closed":
                        verdicts[(who, probe.rule, name)][verdict].append(
                            f"{method} {path}" + (" (list)" if probe.listed else ""))

    for (who, rule, name), by_verdict in sorted(verdicts.items()):
        expected = "shown" if name in EXPECTED[rule].get(who, set()) else "hidden"
        wrong = {verdict: routes for verdict, routes in by_verdict.items() if verdict != expected}
        if wrong:
            problems.append(f"{who} / {name} ({rule}): expected {expected}, but " + "; ".join(
                f"{verdict} by {', '.join(routes)}" for verdict, routes in wrong.items()))
    assert not problems, "routes disagree on scope:\n" + "\n".join(problems)
