"""clinic sign-in: onboarding, registrations, must-change-password (issue 11, helper A)

- ``users.must_change_password``: a password someone else chose must be changed before anything else;
- ``organizations.status`` may be PENDING (a clinic registered, its admin's code not yet verified), and
  ``organizations.working_days`` (0 = Sunday .. 6);
- ``otp_requests.purpose`` gains CLINIC_REGISTRATION, CLINIC_LOGIN and CLINIC_RESET;
- ``sign_in_requests``: the ids of the clinic surface's two-step flows (registration, login, password reset).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_OLD_PURPOSES = "purpose IN ('LOGIN', 'SIGNUP', 'PASSWORD_RESET', 'STAFF_LOGIN')"
_NEW_PURPOSES = ("purpose IN ('LOGIN', 'SIGNUP', 'PASSWORD_RESET', 'STAFF_LOGIN', 'CLINIC_REGISTRATION', "
                 "'CLINIC_LOGIN', 'CLINIC_RESET')")
_OLD_STATUSES = "status IN ('ACTIVE', 'SUSPENDED', 'CLOSED')"
_NEW_STATUSES = "status IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'CLOSED')"


def upgrade() -> None:
    op.add_column('users', sa.Column('must_change_password', sa.Boolean(), server_default=sa.text('false'),
                                     nullable=False))
    op.add_column('organizations', sa.Column(
        'working_days', postgresql.ARRAY(sa.SmallInteger()), server_default=sa.text("'{0,1,2,3,4,5,6}'::smallint[]"),
        nullable=False))
    op.create_check_constraint(op.f('ck_organizations_working_days'), 'organizations',
                               'working_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]')
    op.drop_constraint(op.f('ck_organizations_status'), 'organizations', type_='check')
    op.create_check_constraint(op.f('ck_organizations_status'), 'organizations', _NEW_STATUSES)
    op.drop_constraint(op.f('ck_otp_requests_purpose'), 'otp_requests', type_='check')
    op.create_check_constraint(op.f('ck_otp_requests_purpose'), 'otp_requests', _NEW_PURPOSES)
    op.create_table(
        'sign_in_requests',
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('organization_id', sa.BigInteger(), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ip', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
        sa.CheckConstraint("kind IN ('REGISTRATION', 'LOGIN', 'PASSWORD_RESET')",
                           name=op.f('ck_sign_in_requests_kind')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], ondelete='CASCADE',
                                name=op.f('fk_sign_in_requests_organization_id_organizations')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_sign_in_requests_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_requests')),
    )
    op.create_index('ix_sign_in_requests_phone_kind', 'sign_in_requests', ['phone', 'kind', 'created_at'])
    op.create_index(op.f('ix_sign_in_requests_organization_id'), 'sign_in_requests', ['organization_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_sign_in_requests_organization_id'), table_name='sign_in_requests')
    op.drop_index('ix_sign_in_requests_phone_kind', table_name='sign_in_requests')
    op.drop_table('sign_in_requests')
    op.execute("DELETE FROM otp_requests WHERE purpose IN ('CLINIC_REGISTRATION', 'CLINIC_LOGIN', 'CLINIC_RESET')")
    op.drop_constraint(op.f('ck_otp_requests_purpose'), 'otp_requests', type_='check')
    op.create_check_constraint(op.f('ck_otp_requests_purpose'), 'otp_requests', _OLD_PURPOSES)
    # A clinic that never finished registering cannot exist under the old statuses: it was never usable.
    op.execute("UPDATE organizations SET status = 'CLOSED' WHERE status = 'PENDING'")
    op.drop_constraint(op.f('ck_organizations_status'), 'organizations', type_='check')
    op.create_check_constraint(op.f('ck_organizations_status'), 'organizations', _OLD_STATUSES)
    op.drop_constraint(op.f('ck_organizations_working_days'), 'organizations', type_='check')
    op.drop_column('organizations', 'working_days')
    op.drop_column('users', 'must_change_password')
