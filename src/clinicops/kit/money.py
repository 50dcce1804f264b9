"""Money is integer paise inside; rupees (JSON numbers) on the hospital wire."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def to_paise(rupees: int | float | str | Decimal | None) -> int:
    if rupees is None:
        return 0
    try:
        value = Decimal(str(rupees))
    except InvalidOperation as exc:
        raise ValueError("amount must be a number") from exc
    if value < 0:
        raise ValueError("amount must not be negative")
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def to_rupees(paise: int | None) -> int | float:
    """A JSON number: an int when whole rupees (1500), else two decimals (1500.5)."""
    if paise is None:
        return 0
    if paise % 100 == 0:
        return paise // 100
    return float(Decimal(paise) / 100)
