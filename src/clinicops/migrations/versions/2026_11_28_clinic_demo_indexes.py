"""clinic data rights (erasure requests) and the patient search indexes the clinic benchmark needs (issue 11, E)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'erasure_requests',
        sa.Column('patient_id', sa.BigInteger(), nullable=False),
        sa.Column('requested_by_user_id', sa.BigInteger(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('erased', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"),
                  nullable=False),
        sa.Column('retained', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"),
                  nullable=False),
        sa.Column('retain_until', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column('organization_id', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_erasure_requests_organization_id_organizations'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['patient_id'], ['patients.id'],
                                name=op.f('fk_erasure_requests_patient_id_patients'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'],
                                name=op.f('fk_erasure_requests_requested_by_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_requests')),
    )
    op.create_index(op.f('ix_erasure_requests_organization_id'), 'erasure_requests', ['organization_id'])
    op.create_index(op.f('ix_erasure_requests_patient_id'), 'erasure_requests', ['patient_id'])
    # A doctor's active patients: index-only for the count of a doctor's list, the doctor's patient scope and the
    # list's page in its order (bench/clinic_search.py measures it).
    op.create_index('ix_care_relationships_doctor_active', 'care_relationships',
                    ['clinician_id', sa.literal_column('since DESC'), sa.literal_column('id DESC')],
                    postgresql_include=['patient_id', 'organization_id'],
                    postgresql_where=sa.text("status = 'ACTIVE'"))


def downgrade() -> None:
    op.drop_index('ix_care_relationships_doctor_active', table_name='care_relationships')
    op.drop_index(op.f('ix_erasure_requests_patient_id'), table_name='erasure_requests')
    op.drop_index(op.f('ix_erasure_requests_organization_id'), table_name='erasure_requests')
    op.drop_table('erasure_requests')
