"""What a diagnosis and a prescription may say: the WHO ICD-10 list, severities, medication lines (no I/O)."""

from __future__ import annotations

import pytest

from clinicops.errors import ValidationFailed
from clinicops.visits import prescribing
from clinicops.visits.models import Severity


@pytest.mark.parametrize(("raw", "code", "words"), [
    ("I10", "I10", "hypertension"), ("e11.9", "E11.9", "Type 2 diabetes"), ("E119", "E11.9", "Type 2 diabetes"),
    (" J45.9 ", "J45.9", "Asthma"),
])
def test_a_who_icd10_category_or_subcategory_is_taken_in_its_dotted_form(raw, code, words):
    found = prescribing.icd10_code(raw)
    assert found.code == code and words in found.description


@pytest.mark.parametrize("raw", ["", "XYZ", "I10.0", "I10X", "A00-A09", "I", "Z99.99"])
def test_anything_else_is_refused_naming_the_field(raw):
    with pytest.raises(ValidationFailed) as refused:
        prescribing.icd10_code(raw)
    assert refused.value.details[0]["field"] == "icd10_code"


def test_severities_are_a_closed_list():
    assert prescribing.severity("MILD") is Severity.MILD and prescribing.severity(None) is None
    with pytest.raises(ValidationFailed):
        prescribing.severity("mild-ish")


def test_medication_lines_need_a_name_and_are_summarised_one_per_line():
    lines = prescribing.medication_lines([
        {"name": " Amlodipine ", "strength": "5mg", "frequency": "Once daily", "duration": "30 days",
         "instructions": "Take in the morning"},
        {"name": "Paracetamol", "strength": None, "frequency": "SOS", "duration": None, "instructions": ""}])
    assert lines[0]["name"] == "Amlodipine" and lines[1]["instructions"] is None
    assert prescribing.summary(lines) == "Amlodipine 5mg, Once daily, 30 days (Take in the morning)\nParacetamol, SOS"
    with pytest.raises(ValidationFailed) as refused:
        prescribing.medication_lines([{"name": "Amlodipine"}, {"name": "  ", "strength": "5mg"}])
    assert refused.value.details[0]["field"] == "medications[1].name"
    with pytest.raises(ValidationFailed):
        prescribing.medication_lines([])
