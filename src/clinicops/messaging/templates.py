"""Named message templates: the text sent to people, from parameters.

``TEMPLATES`` holds our text of each message (what the console shows and what the outbox keeps as the body).
A real WhatsApp provider sends an *approved* template instead; :func:`provider_template` says which one and
in what order its parameters go. By default the provider template has our name and takes the parameters in
the order they appear in our text; ``CLINICOPS_WHATSAPP_TEMPLATE_MAP`` (JSON) overrides that per template,
e.g. ``{"booking_confirmation": {"name": "appt_confirmed_v2", "language": "en_US",
"params": ["patient", "when", "name:clinician"]}}`` (``key:param`` sends our ``param`` under the provider's
variable ``key``; Gallabox uses the keys, Meta only the order). The dict is additive: add a template by adding
a key.

Where an appointment takes place is the ``place`` parameter, always built by
:func:`clinicops.messaging.notify.place_of`: ``at <centre>`` in person, ``online (Google Meet)`` for ONLINE — a
message about an online appointment never names a centre as its place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from string import Formatter

TEMPLATES: dict[str, str] = {
    "otp": "{otp} is your verification code for {organization}. It expires in {minutes} minutes. "
           "Do not share it with anyone.",
    "booking_confirmation": "Hello {patient}, your {mode} appointment with {clinician} is confirmed for {when}, "
                            "{place}. Booking ID: {appointment_id}.",
    "online_consultation_link": "Hello {patient}, your online consultation with {clinician} is on {when}. "
                                "Join with this Google Meet link: {meet_link}",
    "online_consultation_link_clinician": "{clinician}, your online consultation with {patient} is on {when}. "
                                          "Join with this Google Meet link: {meet_link}",
    "appointment_rescheduled": "Hello {patient}, your appointment with {clinician} has been rescheduled from "
                               "{old_when} to {when}, {place}.",
    "appointment_cancelled": "Hello {patient}, your appointment with {clinician} on {when}, {place}, has been "
                             "cancelled. Reason: {reason}",
    "appointment_reminder": "Reminder: hello {patient}, your appointment with {clinician} is in {lead}, on "
                            "{when}, {place}.",
    "payment_request": "Hello {patient}, please pay Rs. {amount} for your appointment with {clinician} on "
                       "{when}: {link}",
    "payment_received": "Hello {patient}, we have received Rs. {amount} for your appointment with {clinician} "
                        "on {when}. Thank you.",
    "payment_refund_due": "Hello {patient}, we have received Rs. {amount}, but your appointment with {clinician} "
                          "on {when} had already been released and that time is no longer free. The full amount "
                          "will be refunded to you; our team will contact you to book another time.",
    "slot_blocked": "Hello {patient}, your appointment with {clinician} on {when}, {place}, cannot go ahead "
                    "as planned. Our team will contact you to reschedule.",
    "clinic_doctor_welcome": "Welcome to {clinic}! Your login details: Clinic ID: {clinic_id}, WhatsApp: {phone}, "
                             "Temp Password: {password}. Please change password on first login.",
    "clinic_doctor_number_changed": "{doctor}, the WhatsApp number you sign in to {clinic} with is now {phone}. "
                                    "If you did not ask for this, tell your clinic admin.",
    "clinic_invoice": "{clinic}: your subscription invoice for {period} is Rs. {amount} ({doctors}). Please pay "
                      "by {due} to keep your clinic fully working: {link}",
    "clinic_read_only": "{clinic}: your invoice of Rs. {amount} was due on {due} and is unpaid, so your clinic is "
                        "read-only: every record can still be seen, nothing can be changed. Pay to restore it: {link}",
    "clinic_invoice_paid": "{clinic}: we have received Rs. {amount} for your invoice for {period}. Thank you.",
}

# Parameters whose values never appear in a history view or a log (the text keeps a placeholder).
SECRET_PARAMS: dict[str, frozenset[str]] = {"otp": frozenset({"otp"}),
                                            "clinic_doctor_welcome": frozenset({"password"})}


class UnknownTemplate(KeyError):
    pass


@dataclass(frozen=True)
class ProviderTemplate:
    """How one of our templates is sent as a provider's approved template."""

    name: str
    language: str
    # (provider variable key, our parameter name), in the provider template's order.
    params: tuple[tuple[str, str], ...]
    # Meta authentication templates repeat the code in a copy-code URL button.
    code_button: str | None = None


def _ordered_names(text: str) -> list[str]:
    seen: list[str] = []
    for _, name, _, _ in Formatter().parse(text):
        if name and name not in seen:
            seen.append(name)
    return seen


def required_params(template: str) -> set[str]:
    if template not in TEMPLATES:
        raise UnknownTemplate(template)
    return set(_ordered_names(TEMPLATES[template]))


def render(template: str, params: dict) -> str:
    missing = required_params(template) - set(params)
    if missing:
        raise ValueError(f"template {template!r} needs {sorted(missing)}")
    return TEMPLATES[template].format(**{k: ("" if v is None else v) for k, v in params.items()})


def render_redacted(template: str, params: dict) -> str:
    """The text with secret parameters (an OTP) replaced, for history views."""
    hidden = SECRET_PARAMS.get(template, frozenset())
    shown = {k: ("******" if k in hidden else v) for k, v in (params or {}).items()}
    try:
        return render(template, shown)
    except (UnknownTemplate, ValueError):
        return ""


@lru_cache(maxsize=8)
def _overrides(raw: str) -> dict:
    if not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("CLINICOPS_WHATSAPP_TEMPLATE_MAP must be a JSON object")
    return value


def provider_template(template: str, *, default_language: str = "en", overrides: str = "") -> ProviderTemplate:
    """Which approved template (and parameter order) a provider sends for ``template``."""
    if template not in TEMPLATES:
        raise UnknownTemplate(template)
    custom = _overrides(overrides).get(template, {})
    names = custom.get("params") or _ordered_names(TEMPLATES[template])
    params = tuple((p.split(":", 1)[0], p.split(":", 1)[1]) if ":" in p else (p, p) for p in names)
    button = custom.get("codeButton", "otp" if template == "otp" else None)
    return ProviderTemplate(name=custom.get("name", template), language=custom.get("language", default_language),
                            params=params, code_button=button)
