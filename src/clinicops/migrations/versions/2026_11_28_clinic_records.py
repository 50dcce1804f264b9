"""clinic care records: patient profiles per organization, visit diagnosis/prescription, visit notes, indexes
(issue 11, helper D)

- ``patient_registrations`` gains the profile as the organization recorded it (what one clinic wrote about a
  person never shows in another), and ``updated_at``;
- ``visits``: ``diagnosis_notes``, ``prescription_text``, ``prescription_notes``; the unused ``private_notes``
  column goes (private notes are ``clinical_notes`` rows with a ``visit_id``: several, each with its author);
- indexes for the clinic's patient search by phone prefix and name prefix, and one doctor's visits with one
  patient (a doctor's patient list: ``ix_care_relationships_doctor_active``, migration 0008).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_GENDERS = "gender IS NULL OR gender IN ('MALE', 'FEMALE', 'NON_BINARY', 'PREFER_NOT_TO_SAY', 'OTHER')"
_EMPTY_LIST = sa.text("'[]'::jsonb")


def upgrade() -> None:
    op.add_column('patient_registrations', sa.Column('updated_at', sa.DateTime(timezone=True),
                                                     server_default=sa.text('now()'), nullable=False))
    op.add_column('patient_registrations', sa.Column('full_name', sa.String(length=200), nullable=True))
    op.add_column('patient_registrations', sa.Column('date_of_birth', sa.Date(), nullable=True))
    op.add_column('patient_registrations', sa.Column('age', sa.Integer(), nullable=True))
    op.add_column('patient_registrations', sa.Column('gender', sa.String(length=20), nullable=True))
    op.add_column('patient_registrations', sa.Column('blood_group', sa.String(length=10), nullable=True))
    op.add_column('patient_registrations', sa.Column('address', sa.Text(), nullable=True))
    op.add_column('patient_registrations', sa.Column('emergency_contact', sa.String(length=20), nullable=True))
    for name in ('allergies', 'chronic_conditions', 'current_medications'):
        op.add_column('patient_registrations', sa.Column(name, postgresql.JSONB(astext_type=sa.Text()),
                                                         server_default=_EMPTY_LIST, nullable=False))
    op.create_check_constraint(op.f('ck_patient_registrations_gender'), 'patient_registrations', _GENDERS)
    op.create_check_constraint(op.f('ck_patient_registrations_age'), 'patient_registrations',
                               'age IS NULL OR age BETWEEN 0 AND 150')
    op.create_index('ix_patient_registrations_org_name_prefix', 'patient_registrations',
                    ['organization_id', sa.literal_column('lower(full_name) text_pattern_ops')], unique=False)
    op.create_index('ix_patients_phone_prefix', 'patients', ['phone'], unique=False,
                    postgresql_ops={'phone': 'text_pattern_ops'})

    op.add_column('visits', sa.Column('diagnosis_notes', sa.Text(), nullable=True))
    op.add_column('visits', sa.Column('prescription_text', sa.Text(), nullable=True))
    op.add_column('visits', sa.Column('prescription_notes', sa.Text(), nullable=True))
    op.drop_column('visits', 'private_notes')
    op.create_index('ix_visits_clinician_patient_date', 'visits', ['clinician_id', 'patient_id', 'visit_date'],
                    unique=False)

    op.add_column('clinical_notes', sa.Column('visit_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f('fk_clinical_notes_visit_id_visits'), 'clinical_notes', 'visits', ['visit_id'],
                          ['id'], ondelete='CASCADE')
    op.create_index(op.f('ix_clinical_notes_visit_id'), 'clinical_notes', ['visit_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_clinical_notes_visit_id'), table_name='clinical_notes')
    op.drop_constraint(op.f('fk_clinical_notes_visit_id_visits'), 'clinical_notes', type_='foreignkey')
    op.drop_column('clinical_notes', 'visit_id')

    op.drop_index('ix_visits_clinician_patient_date', table_name='visits')
    op.add_column('visits', sa.Column('private_notes', sa.Text(), nullable=True))
    op.drop_column('visits', 'prescription_notes')
    op.drop_column('visits', 'prescription_text')
    op.drop_column('visits', 'diagnosis_notes')

    op.drop_index('ix_patients_phone_prefix', table_name='patients')
    op.drop_index('ix_patient_registrations_org_name_prefix', table_name='patient_registrations')
    op.drop_constraint(op.f('ck_patient_registrations_age'), 'patient_registrations', type_='check')
    op.drop_constraint(op.f('ck_patient_registrations_gender'), 'patient_registrations', type_='check')
    for name in ('current_medications', 'chronic_conditions', 'allergies', 'emergency_contact', 'address', 'blood_group',
                 'gender', 'age', 'date_of_birth', 'full_name', 'updated_at'):
        op.drop_column('patient_registrations', name)
