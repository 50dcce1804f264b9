"""Adversarial checks of hospital-api-reference.md ("do not reproduce", "what the clients need") and DESIGN.md
invariants 1 and 5 across the whole /api surface: out-of-scope rows are 404 whatever the route, existence never
leaks through a different status, and no response carries a hash or a configured secret."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text

from clinicops.auth.models import User
from clinicops.clinicians.models import AvailabilityException
from clinicops.config import get_settings
from tests.builders.appointments import World, make_world
from tests.builders.clinicians import make_clinician
from tests.builders.organizations import make_centre, make_org
from tests.builders.patients import make_note, make_payment
from tests.builders.payments import make_appointment, rzp_event, rzp_hmac, rzp_payment
from tests.builders.people import bearer, make_patient, make_staff
from tests.builders.slots import add_exception

MISSING = 2_000_000_000


@dataclass
class Scene:
    world: World
    ids: dict[str, int]
    callers: dict[str, User]


async def _scene(db) -> Scene:
    """Org A's data (world) and callers that must not reach it: another organization's admin, another clinician
    of the same organization, desk staff of another centre, another patient."""
    w = await make_world(db)
    appt = await make_appointment(db, org=w.org, centre=w.centre, clinician=w.clinician, patient=w.patient,
                                  mode="ONLINE", status="CONFIRMED", meet_link="https://meet.invalid/abc")
    pay = await make_payment(db, patient=w.patient, appointment=appt)
    note = await make_note(db, patient=w.patient, author=w.admin)
    block = await add_exception(db, clinician=w.clinician, on=w.day + timedelta(days=1))
    other_org = await make_org(db)
    await make_centre(db, org=other_org)
    doctor_b = await make_clinician(db, org=w.org, centre=w.centre, full_name="Dr. Other")
    other_centre = await make_centre(db, org=w.org, city="kochi")
    patient_b = await make_patient(db, org=w.org)
    callers = {
        "admin_of_org_b": await make_staff(db, org=other_org, role="ADMIN"),
        "other_clinician": await db.get(User, doctor_b.user_id),
        "desk_of_other_centre": await make_staff(db, org=w.org, role="FRONT_DESK", centres=[other_centre]),
        "manager_of_other_centre": await make_staff(db, org=w.org, role="CENTRE_MANAGER", centres=[other_centre]),
        "other_patient": await db.get(User, patient_b.user_id),
    }
    ids = {"appt": appt.id, "pay": pay.id, "patient": w.patient.id, "note": note.id, "block": block.id,
           "clinician": w.clinician.id, "centre": w.centre.id, "user": w.desk.id}
    return Scene(w, ids, callers)


def _appointment_routes(i: dict[str, int], day: str) -> list[tuple[str, str, dict | None]]:
    a = i["appt"]
    return [
        ("GET", f"/api/appointments/{a}", None), ("GET", f"/api/appointments/{a}/history", None),
        ("PUT", f"/api/appointments/{a}", {"notes": "x"}), ("PATCH", f"/api/appointments/{a}", {"notes": "x"}),
        ("POST", f"/api/appointments/{a}/status", {"status": "NO_SHOW"}),
        ("PATCH", f"/api/appointments/{a}/reschedule", {"scheduled_start_at": f"{day}T09:00:00+05:30"}),
        ("POST", f"/api/appointments/{a}/cancel", {"reason": "x"}), ("DELETE", f"/api/appointments/{a}", None),
        ("POST", f"/api/appointments/{a}/start-session", None), ("POST", f"/api/appointments/{a}/end-session", None),
        ("POST", f"/api/appointments/{a}/send-payment-link", {}),
        ("POST", f"/api/appointments/{a}/confirm-direct-payment", {"paymentMethod": "CASH"}),
        ("POST", "/api/payment/send-link", {"appointmentId": a}),
        ("POST", "/api/payments/create-link", {"appointmentId": a}),
        ("POST", "/api/payments/create-order", {"appointmentId": a}),
        ("POST", "/api/payments/failure", {"appointmentId": a, "razorpayOrderId": "order_x"}),
        ("POST", "/api/payments/verify", {"appointmentId": a, "razorpayOrderId": "order_x",
                                          "razorpayPaymentId": "pay_x", "razorpaySignature": "0" * 64}),
        ("GET", f"/api/payments/{a}", None), ("POST", f"/api/payments/{i['pay']}/refund", {}),
        ("POST", "/api/video/generate-meet-link", {"appointmentId": a}),
        ("GET", f"/api/video/appointment/{a}/meet-link", None),
        ("PUT", f"/api/video/appointment/{a}/meet-link", {"meetLink": "https://meet.google.com/abc-defg-hij"}),
        ("DELETE", f"/api/video/appointment/{a}/meet-link", None),
        ("POST", "/api/notifications/appointment-confirmation", {"appointmentId": a}),
        ("POST", "/api/notifications/appointment-reminder", {"appointmentId": a}),
        ("GET", f"/api/booking/{a}", None), ("POST", f"/api/booking/{a}/cancel", {}),
        ("GET", f"/api/patient/appointments/{a}", None),
        ("POST", f"/api/patient/appointments/{a}/cancel", {"reason": "x"}),
    ]


def _patient_routes(i: dict[str, int]) -> list[tuple[str, str, dict | None]]:
    p = i["patient"]
    return [
        ("GET", f"/api/patients/{p}", None), ("PUT", f"/api/patients/{p}", {"first_name": "Zed"}),
        ("GET", f"/api/patients/{p}/appointments", None), ("GET", f"/api/patients/{p}/notes", None),
        ("POST", f"/api/patients/{p}/notes", {"noteText": "hello"}),
        ("GET", f"/api/payments/patient/{p}", None),
    ]


def _staff_patient_routes(i: dict[str, int]) -> list[tuple[str, str, dict | None]]:
    # A patient's own token ignores patientId here (it reads their own status), so only staff are probed.
    return [("GET", f"/api/payments/registration-fee-status?patientId={i['patient']}", None)]


def _list_filters(i: dict[str, int]) -> list[tuple[str, str, dict | None]]:
    k = i["centre"]
    return [("GET", f"/api/appointments?centreId={k}", None), ("GET", f"/api/video/links?centreId={k}", None),
            ("GET", f"/api/payments/history?centreId={k}", None),
            ("GET", f"/api/payments/history?patientId={i['patient']}", None),
            ("GET", f"/api/appointments?clinicianId={i['clinician']}", None)]


def _organization_routes(i: dict[str, int], day: str) -> list[tuple[str, str, dict | None]]:
    c, k, u = i["clinician"], i["centre"], i["user"]
    return [
        ("PUT", f"/api/centres/{k}", {"name": "Zed"}), ("PATCH", f"/api/centres/{k}/toggle-active", {"isActive": False}),
        ("DELETE", f"/api/centres/{k}", None),
        ("GET", f"/api/users/{u}", None), ("PUT", f"/api/users/{u}", {"name": "Zed"}),
        ("PATCH", f"/api/users/{u}/toggle-active", {"isActive": False}), ("DELETE", f"/api/users/{u}", None),
        ("PUT", f"/api/clinicians/{c}", {"fullName": "Zed"}),
        ("PATCH", f"/api/clinicians/{c}/toggle-active", {"isActive": False}), ("DELETE", f"/api/clinicians/{c}", None),
        ("PUT", f"/api/clinicians/{c}/availability", {"availability_rules": []}),
        ("GET", f"/api/clinicians/{c}/slot-exceptions", None),
        ("POST", f"/api/clinicians/{c}/slot-exceptions", {"date": day, "type": "UNAVAILABLE"}),
        ("DELETE", f"/api/clinicians/{c}/slot-exceptions/{i['block']}", None),
        ("POST", f"/api/admin/slots/unblock/{i['block']}", None),
        ("POST", "/api/admin/slots/block", {"clinicianId": c, "centreId": k, "date": day,
                                           "startTime": "09:00", "endTime": "10:00"}),
        ("POST", "/api/admin/slots/block-day", {"clinicianId": c, "date": day}),
        ("GET", f"/api/admin/slots/blocked?clinicianId={c}", None),
        ("GET", f"/api/clinicians/{c}/slots?date={day}", None),
        ("POST", "/api/appointments", {"patient_id": i["patient"], "clinician_id": c, "centre_id": k,
                                       "appointment_type": "IN_PERSON", "scheduled_start_at": f"{day}T09:00:00+05:30"}),
    ]


# Which callers each group must keep out. Patient records are organization-wide for desk roles (docs/patients.md),
# and clinicians, centres and slot grids are public knowledge inside an organization, so those pairs are omitted.
GROUPS = {
    "appointments": ("admin_of_org_b", "other_clinician", "desk_of_other_centre", "manager_of_other_centre",
                     "other_patient"),
    "patients": ("admin_of_org_b", "other_clinician", "other_patient"),
    "staff_patients": ("admin_of_org_b", "other_clinician"),
    "organization": ("admin_of_org_b",),
    # a list filtered by a foreign id may answer an empty list, but exactly as for an id that does not exist
    "filters": ("admin_of_org_b", "other_clinician", "desk_of_other_centre", "other_patient"),
}


async def _status(db, client, user: User, method: str, path: str, body: dict | None) -> int:
    savepoint = await db.begin_nested()
    try:
        response = await client.request(method, path, json=body, headers=bearer(user))
        return response.status_code
    finally:
        await savepoint.rollback()


async def test_out_of_scope_rows_are_404_and_indistinguishable_from_missing_ones(client, db):
    """Invariant 1: whatever the route, a row outside the caller's scope answers exactly as a row that does not
    exist (404 when the caller's role may use the route at all), and is never served or changed."""
    scene = await _scene(db)
    day = (scene.world.day + timedelta(days=1)).isoformat()
    missing = {name: MISSING for name in scene.ids}
    builders = {"appointments": lambda i: _appointment_routes(i, day), "patients": _patient_routes,
                "staff_patients": _staff_patient_routes, "organization": lambda i: _organization_routes(i, day),
                "filters": _list_filters}
    leaks = []
    for group, callers in GROUPS.items():
        for (method, path, body), (_, ghost_path, ghost_body) in zip(builders[group](scene.ids),
                                                                     builders[group](missing), strict=True):
            for name in callers:
                user = scene.callers[name]
                real = await _status(db, client, user, method, path, body)
                ghost = await _status(db, client, user, method, ghost_path, ghost_body)
                if real != ghost or (real < 400 and group != "filters"):
                    leaks.append((name, method, path, real, ghost))
    assert leaks == [], '\n'.join(map(str, leaks))


async def test_a_patient_token_cannot_block_slots_or_reach_staff_reads(client, db):
    """'Any signed-in patient able to ... block slots' must not come back."""
    world = await make_world(db)
    headers = bearer(world.patient_user)
    day = world.day.isoformat()
    for method, path, body in [
        ("POST", "/api/admin/slots/block", {"clinicianId": world.clinician.id, "centreId": world.centre.id,
                                            "date": day, "startTime": "09:00", "endTime": "10:00"}),
        ("POST", "/api/admin/slots/block-day", {"clinicianId": world.clinician.id, "date": day}),
        ("POST", f"/api/clinicians/{world.clinician.id}/slot-exceptions", {"date": day, "type": "UNAVAILABLE"}),
        ("GET", "/api/appointments", None), ("GET", "/api/patients", None),
        ("GET", f"/api/payments/patient/{world.patient.id}", None),
        ("GET", "/api/video/links", None),
    ]:
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (path, response.text)
    count = (await db.execute(select(func.count()).select_from(AvailabilityException))).scalar_one()
    assert count == 0


def _configured_secrets() -> dict[str, str]:
    s = get_settings()
    values = {name: getattr(s, name) for name in (
        "jwt_access_secret", "jwt_refresh_secret", "razorpay_key_secret", "razorpay_webhook_secret",
        "gallabox_api_secret", "gallabox_webhook_secret", "meta_app_secret", "meta_access_token")
        if getattr(s, name, None)}
    assert values["jwt_access_secret"] and values["razorpay_webhook_secret"]
    return values


SECRET_KEY = re.compile(r"hash|secret|password|otp", re.I)


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


async def test_no_response_of_any_read_carries_a_secret_or_a_hash(client, db):
    """Invariant 5 across the surface (and 'a health endpoint printing environment secrets')."""
    scene = await _scene(db)
    w, i = scene.world, scene.ids
    staff_paths = [
        "/api/health", "/api/auth/me", "/api/users", f"/api/users/{i['user']}", "/api/centres",
        f"/api/centres/{i['centre']}", "/api/clinicians", f"/api/clinicians/{i['clinician']}",
        f"/api/clinicians/{i['clinician']}/availability", f"/api/clinicians/{i['clinician']}/slot-exceptions",
        "/api/admin/slots/blocked", "/api/patients", f"/api/patients/{i['patient']}",
        f"/api/patients/{i['patient']}/notes", f"/api/patients/{i['patient']}/appointments",
        "/api/appointments", f"/api/appointments/{i['appt']}", f"/api/appointments/{i['appt']}/history",
        "/api/payments/history", f"/api/payments/patient/{i['patient']}", f"/api/payments/{i['appt']}",
        "/api/notifications/history", "/api/notifications/stats", "/api/video/links",
        f"/api/video/appointment/{i['appt']}/meet-link", f"/api/clinicians/{i['clinician']}/slots?date={w.day}",
    ]
    patient_paths = ["/api/patient-auth/me", "/api/patient/dashboard", "/api/patient/profile",
                     "/api/patient/appointments", "/api/patient/payments", "/api/patient/notifications",
                     "/api/booking/my-appointments", "/api/payments/history", "/api/payments/registration-fee-status",
                     f"/api/booking/{i['appt']}", f"/api/payments/{i['appt']}"]
    stored = [h for (h,) in await db.execute(select(User.password_hash).where(User.password_hash.is_not(None)))]
    assert stored
    await db.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))  # a live worker: health is 200
    secrets = list(_configured_secrets().values()) + stored
    checked = 0
    for user, paths in ((w.admin, staff_paths), (w.patient_user, patient_paths)):
        for path in paths:
            response = await client.get(path, headers=bearer(user))
            assert response.status_code == 200, (path, response.text)
            body = json.loads(response.text)
            assert not [k for k in _keys(body) if SECRET_KEY.search(k)], path
            assert not [s for s in secrets if s in response.text], path
            checked += 1
    assert checked == len(staff_paths) + len(patient_paths)


async def test_webhook_signed_with_the_key_secret_instead_of_the_webhook_secret_is_400(client, db):
    """'Webhook signatures computed ... with the wrong secret': only the webhook secret verifies a webhook."""
    settings = get_settings()
    assert settings.razorpay_key_secret != settings.razorpay_webhook_secret
    raw = rzp_event("payment.captured", payment=rzp_payment("pay_K", order_id="order_K", amount=100))
    response = await client.post("/api/payments/webhook", content=raw, headers={
        "Content-Type": "application/json", "X-Razorpay-Event-Id": "evt_key_secret",
        "X-Razorpay-Signature": rzp_hmac(settings.razorpay_key_secret, raw)})
    assert response.status_code == 400 and response.json()["error"]["code"] == "INVALID_SIGNATURE"


async def test_patient_notifications_answer_bearer_null_with_a_clean_401_envelope(client):
    """The website calls /api/patient/notifications* with 'Bearer null' before sign-in: 401 with the message twice
    and CORS headers (the client then logs out cleanly)."""
    origin = get_settings().cors_origins[0] if get_settings().cors_origins else "http://localhost:3000"
    for method, path in (("GET", "/api/patient/notifications"), ("GET", "/api/patient/notifications/unread-count"),
                         ("PUT", "/api/patient/notifications/1/read")):
        response = await client.request(method, path, headers={"Authorization": "Bearer null", "Origin": origin})
        assert response.status_code == 401, (path, response.text)
        body = response.json()
        assert body["success"] is False and body["error"]["code"] == "UNAUTHORIZED"
        assert body["message"] == body["error"]["message"]
        assert response.headers.get("access-control-allow-origin") in ("*", origin)


async def test_a_generated_request_id_is_logged_exactly_as_sent(client):
    """Phone masking must not rewrite our own request ids (a uuid hex can hold a phone-shaped digit run)."""
    import io

    from clinicops.logging import configure_logging

    request_id = "abcdef9876543210abcdefabcdefabcd"
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    try:
        response = await client.get("/api/health/live", headers={"X-Request-ID": request_id})
    finally:
        configure_logging()
    assert response.headers["x-request-id"] == request_id
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]
    assert [line["request_id"] for line in lines if line.get("event") == "request"] == [request_id]
