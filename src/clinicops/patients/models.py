from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, func, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from clinicops.kit.models import Base, IdMixin, OrgMixin, TimestampMixin


GENDERS = ("MALE", "FEMALE", "NON_BINARY", "PREFER_NOT_TO_SAY", "OTHER")
BLOOD_GROUPS = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")


def mrn_of(patient_id: int) -> str:
    """The medical record number a patient gets at every organization that registers them."""
    return f"MRN{patient_id:07d}"


def normalize_gender(value: str | None) -> str | None:
    """One of :data:`GENDERS` from what forms send ("female", "Non-binary", "M"); ValueError otherwise."""
    if value is None or not str(value).strip():
        return None
    upper = str(value).strip().upper().replace("-", "_").replace(" ", "_")
    upper = {"M": "MALE", "F": "FEMALE"}.get(upper, upper)
    if upper not in GENDERS:
        raise ValueError(f"gender must be one of {', '.join(GENDERS)}")
    return upper


class Patient(IdMixin, TimestampMixin, Base):
    """A person, once per phone number across organizations; ``user_id`` is their sign-in."""

    __tablename__ = "patients"
    __table_args__ = (
        CheckConstraint(
            "gender IS NULL OR gender IN ('MALE', 'FEMALE', 'NON_BINARY', 'PREFER_NOT_TO_SAY', 'OTHER')",
            name="gender"),
        Index("ix_patients_full_name_lower", text("lower(full_name)")),
        # The clinic's patient search by phone prefix (phone LIKE '+9199%'), whatever the database's collation.
        Index("ix_patients_phone_prefix", "phone", postgresql_ops={"phone": "text_pattern_ops"}),
    )

    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(200), server_default="")
    email: Mapped[str | None] = mapped_column(String(255))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    age: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(20))
    blood_group: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(Text)
    emergency_contact_name: Mapped[str | None] = mapped_column(String(150))
    emergency_contact_phone: Mapped[str | None] = mapped_column(String(20))
    allergies: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    chronic_conditions: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    medications: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))


class PatientRegistration(IdMixin, OrgMixin, Base):
    """A patient known to an organization, with its medical record number.

    On the clinic surface it also holds the patient's profile *as this organization recorded it* (name, birth
    date, allergies, ...): the person is one row per phone across organizations, but what one clinic wrote about
    them is never shown to another (spec 9.3), so these fields live here, per organization, not on ``patients``.
    """

    __tablename__ = "patient_registrations"
    __table_args__ = (
        UniqueConstraint("organization_id", "patient_id", name="uq_patient_registrations_org_patient"),
        UniqueConstraint("organization_id", "mrn", name="uq_patient_registrations_org_mrn"),
        CheckConstraint(
            "gender IS NULL OR gender IN ('MALE', 'FEMALE', 'NON_BINARY', 'PREFER_NOT_TO_SAY', 'OTHER')",
            name="gender"),
        CheckConstraint("age IS NULL OR age BETWEEN 0 AND 150", name="age"),
    )

    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    mrn: Mapped[str] = mapped_column(String(40))
    registration_fee_paid: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    registration_fee_paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    source: Mapped[str | None] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())
    # The organization's own record of the person (clinic surface; see the class docstring).
    full_name: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    age: Mapped[int | None] = mapped_column(Integer)
    gender: Mapped[str | None] = mapped_column(String(20))
    blood_group: Mapped[str | None] = mapped_column(String(10))
    address: Mapped[str | None] = mapped_column(Text)
    emergency_contact: Mapped[str | None] = mapped_column(String(20))
    allergies: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    chronic_conditions: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    current_medications: Mapped[list] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))


# The clinic's patient search by name prefix (lower(full_name) LIKE 'ami%') within one organization.
Index("ix_patient_registrations_org_name_prefix", PatientRegistration.organization_id,
      func.lower(PatientRegistration.full_name).label("full_name_lower"),
      postgresql_ops={"full_name_lower": "text_pattern_ops"})


class CareRelationship(IdMixin, TimestampMixin, OrgMixin, Base):
    """A doctor–patient association (the clinic surface's private records hang on it)."""

    __tablename__ = "care_relationships"
    __table_args__ = (
        UniqueConstraint("clinician_id", "patient_id", name="uq_care_relationships_clinician_patient"),
        CheckConstraint("status IN ('ACTIVE', 'INACTIVE')", name="status"),
    )

    clinician_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("clinicians.id", ondelete="CASCADE"))
    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    preferences: Mapped[dict] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    notes: Mapped[str | None] = mapped_column(Text)
    visit_count: Mapped[int] = mapped_column(Integer, server_default="0")
    last_visit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), server_default="ACTIVE")


class ClinicalNote(IdMixin, OrgMixin, Base):
    """A note on a patient; ``visit_id`` set: a note on one visit (the clinic surface's private notes)."""

    __tablename__ = "clinical_notes"

    patient_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    author_user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="RESTRICT"))
    clinician_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("clinicians.id", ondelete="SET NULL"))
    visit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    is_private: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# A doctor's active patients (migration 0008): index-only for the count of a doctor's list, the doctor's
# patient scope (authz.scopes.patient_ids) and the list's page in its order (bench/clinic_search.py).
Index("ix_care_relationships_doctor_active", CareRelationship.clinician_id, CareRelationship.since.desc(),
      CareRelationship.id.desc(), postgresql_include=["patient_id", "organization_id"],
      postgresql_where=text("status = 'ACTIVE'"))
