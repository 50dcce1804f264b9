"""Money is integer paise inside; rupees (JSON numbers) on the hospital wire."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# No hospital charge comes near this; it keeps paise inside a bigint column.
MAX_RUPEES = Decimal(10) ** 15


def to_paise(rupees: int | float | str | Decimal | None) -> int:
    if rupees is None:
        return 0
    try:
        value = Decimal(str(rupees))
    except InvalidOperation as exc:
        raise ValueError("amount must be a number") from exc
    if not value.is_finite():
        raise ValueError("amount must be a number")
    if value < 0:
        raise ValueError("amount must not be negative")
    if value >= MAX_RUPEES:  # beyond this the quantize below overflows the decimal context
        raise ValueError("amount is too large")
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_rupees(paise: int | None) -> int | float:
    """A JSON number: an int when whole rupees (1500), else two decimals (1500.5)."""
    if paise is None:
        return 0
    if paise % 100 == 0:
        return paise // 100
    return float(Decimal(paise) / 100)
