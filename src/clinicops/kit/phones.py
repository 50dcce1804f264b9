"""Indian phone numbers: accept 10 digits, 91XXXXXXXXXX or +91…; store E.164; show 91…; mask in logs."""

from __future__ import annotations

import re

import phonenumbers

_DIGITS = re.compile(r"\D")


class InvalidPhone(ValueError):
    pass


def normalize(raw: str, region: str = "IN") -> str:
    """E.164 (``+919876543210``) or :class:`InvalidPhone`."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhone("phone is required")
    text = raw.strip()
    digits = _DIGITS.sub("", text)
    if not text.startswith("+"):
        if len(digits) == 10:
            text = "+91" + digits
        elif len(digits) == 12 and digits.startswith("91"):
            text = "+" + digits
        else:
            raise InvalidPhone("phone must be 10 digits or 91 followed by 10 digits")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone("phone number is not valid") from exc
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise InvalidPhone("phone number is not valid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def wire(e164: str | None) -> str | None:
    """``91XXXXXXXXXX``: digits without ``+``, as the hospital clients expect."""
    if not e164:
        return e164
    return e164.lstrip("+")


def national(e164: str | None) -> str | None:
    """The 10-digit national number (what staff type)."""
    if not e164:
        return e164
    digits = e164.lstrip("+")
    return digits[-10:]


def mask(value: str) -> str:
    """``+91******3210``: keep the country code and the last four digits."""
    digits = _DIGITS.sub("", value)
    if len(digits) < 6:
        return "*" * len(value)
    prefix = "+91" if digits.startswith("91") and len(digits) == 12 else ""
    body = digits[2:] if prefix else digits
    return f"{prefix}{'*' * (len(body) - 4)}{body[-4:]}"


def partly_masked(e164: str) -> str:
    """``+91987****210``: what a reply may show of a number (the clinic guide's ``maskedNumber``): the country
    code, the first and last three digits of the national number, stars between."""
    if not e164.startswith("+91") or len(e164) != 13:
        return mask(e164)
    national = e164[3:]
    return f"+91{national[:3]}{'*' * (len(national) - 6)}{national[-3:]}"
