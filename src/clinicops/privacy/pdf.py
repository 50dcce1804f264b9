"""A patient's record at one clinic as a PDF (fpdf2: pure Python, no system libraries).

Text is set in DejaVu Sans when the machine has it (Unicode Latin, Greek, Cyrillic and symbols; Indian scripts
need a font with their glyphs, which no package here ships: fpdf2 leaves missing glyphs out with a warning);
otherwise in the PDF core font Helvetica, which holds Latin-1 only, so other characters print as ``?``. Either way
the export never fails on a character.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF

from clinicops.privacy.service import PatientRecord

UNICODE_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
                 Path("/usr/share/fonts/TTF/DejaVuSans.ttf"))


class _Document(FPDF):
    def __init__(self, title: str):
        super().__init__(format="A4")
        self.set_title(title)
        self.set_creator("ClinicOps")
        self.set_auto_page_break(auto=True, margin=15)
        font = next((p for p in UNICODE_FONTS if p.is_file()), None)
        if font is not None:
            self.add_font("body", "", str(font))
            self.family, self.unicode = "body", True
        else:
            self.family, self.unicode = "Helvetica", False

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.cell(0, 8, self.clean(f"Page {self.page_no()}"), align="C")

    def clean(self, value: object) -> str:
        text = "" if value is None else str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str, size: int = 13) -> None:
        self.ln(2)
        self.set_font(self.family, size=size)
        self.multi_cell(0, 7, self.clean(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, size=10)

    def field(self, label: str, value: object) -> None:
        if value in (None, "", [], {}):
            return
        self.multi_cell(0, 5.5, self.clean(f"{label}: {_text(value)}"), new_x="LMARGIN", new_y="NEXT")


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return str(value)


def render(record: PatientRecord) -> bytes:
    """The PDF bytes of ``record``."""
    p = record.profile
    doc = _Document(f"Patient record - {p.full_name or record.phone}")
    doc.add_page()
    doc.heading(f"{record.clinic_name}: patient record", size=15)
    doc.field("Generated", record.generated_at)
    doc.heading("Patient")
    for label, value in (("Name", p.full_name), ("Phone", record.phone), ("Medical record number", p.mrn),
                         ("Registered", p.created_at), ("Date of birth", p.date_of_birth), ("Age", record.age),
                         ("Gender", p.gender), ("Blood group", p.blood_group), ("Address", p.address),
                         ("Emergency contact", p.emergency_contact), ("Allergies", p.allergies),
                         ("Chronic conditions", p.chronic_conditions), ("Current medications", p.current_medications)):
        doc.field(label, value)
    doc.heading(f"Doctors ({len(record.associations)})")
    for a in record.associations:
        doc.field(a.doctor_name, f"since {_text(a.care.since)}, {a.care.status.lower()}, "
                                 f"{a.care.visit_count} visits")
    doc.heading(f"Visits ({len(record.visits)})")
    for entry in record.visits:
        v = entry.visit
        doc.heading(f"{_text(v.visit_date)} - {entry.doctor_name} ({v.status.lower()})", size=11)
        doc.field("Chief complaint", v.chief_complaint)
        doc.field("Vital signs", v.vitals)
        doc.field("Examination", v.examination)
        diagnosis = " ".join(x for x in (v.diagnosis, f"[{v.icd10_code}]" if v.icd10_code else None,
                                         f"({v.severity.lower()})" if v.severity else None) if x)
        doc.field("Diagnosis", diagnosis)
        doc.field("Diagnosis notes", v.diagnosis_notes)
        for line in v.prescription or []:
            doc.field("Rx", " - ".join(str(line.get(k)) for k in ("name", "dose", "strength", "frequency",
                                                                  "duration", "instructions") if line.get(k)))
        if not v.prescription:
            doc.field("Prescription", v.prescription_text)
        doc.field("Prescription notes", v.prescription_notes)
        doc.field("Notes", v.notes)
        doc.field("Follow-up", v.follow_up_date)
    if record.erasure_dates:
        doc.heading("Erasure requests carried out")
        for at in record.erasure_dates:
            doc.field("Erasure", at)
    return bytes(doc.output())
