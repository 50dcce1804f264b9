"""organization settings: the cities a chain operates in, its registration fee, its free-cancellation window

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:26:00
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# What every organization had before these were its own: the three cities once hard-coded in the centre
# service and the global registration fee (the removed setting CLINICOPS_REGISTRATION_FEE_PAISE, 100 rupees
# unless the deployment set it).
_FORMER_CITIES = "{bangalore,kochi,mumbai}"


def _former_fee_paise() -> int:
    return int(os.environ.get("CLINICOPS_REGISTRATION_FEE_PAISE") or 100_00)


def upgrade() -> None:
    op.add_column('organizations', sa.Column(
        'cities', postgresql.ARRAY(sa.String(length=100)), server_default=sa.text("'{}'::varchar[]"),
        nullable=False))
    op.add_column('organizations', sa.Column(
        'registration_fee_paise', sa.BigInteger(), server_default='0', nullable=False))
    op.add_column('organizations', sa.Column(
        'free_cancellation_hours', sa.Integer(), server_default='24', nullable=False))
    op.create_check_constraint(
        op.f('ck_organizations_registration_fee'), 'organizations', 'registration_fee_paise >= 0')
    op.create_check_constraint(
        op.f('ck_organizations_free_cancellation_hours'), 'organizations', 'free_cancellation_hours >= 0')
    op.create_check_constraint(
        op.f('ck_organizations_cities_lower'), 'organizations',
        "array_to_string(cities, ',') = lower(array_to_string(cities, ','))")
    # Existing organizations keep the rules they ran under; new ones start from the column defaults.
    op.execute(sa.text("UPDATE organizations SET cities = CAST(:cities AS varchar[]), registration_fee_paise = :fee")
               .bindparams(cities=_FORMER_CITIES, fee=_former_fee_paise()))


def downgrade() -> None:
    op.drop_constraint(op.f('ck_organizations_cities_lower'), 'organizations', type_='check')
    op.drop_constraint(op.f('ck_organizations_free_cancellation_hours'), 'organizations', type_='check')
    op.drop_constraint(op.f('ck_organizations_registration_fee'), 'organizations', type_='check')
    op.drop_column('organizations', 'free_cancellation_hours')
    op.drop_column('organizations', 'registration_fee_paise')
    op.drop_column('organizations', 'cities')
