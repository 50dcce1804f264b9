"""clinic doctors: a doctor's weekly hours as the clinic sets them, and when they were removed (issue 11, helper C)

The availability rules stay the slot engine's input; these columns keep what the clinic typed (working days,
start and end, lunch break) so the clinic surface can show it back and regenerate the rules from it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('clinicians', sa.Column('working_days', postgresql.ARRAY(sa.SmallInteger()),
                                          server_default=sa.text("'{}'::smallint[]"), nullable=False))
    for name in ('work_start_time', 'work_end_time', 'lunch_start_time', 'lunch_end_time'):
        op.add_column('clinicians', sa.Column(name, sa.Time(), nullable=True))
    op.add_column('clinicians', sa.Column('deactivated_at', sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f('ck_clinicians_work_hours'), 'clinicians',
        'work_start_time IS NULL OR work_end_time IS NULL OR work_start_time < work_end_time')
    op.create_check_constraint(
        op.f('ck_clinicians_lunch'), 'clinicians',
        '(lunch_start_time IS NULL) = (lunch_end_time IS NULL) AND '
        '(lunch_start_time IS NULL OR lunch_start_time < lunch_end_time)')
    op.create_check_constraint(
        op.f('ck_clinicians_working_days'), 'clinicians',
        'working_days <@ ARRAY[0, 1, 2, 3, 4, 5, 6]::smallint[]')


def downgrade() -> None:
    for name in ('working_days', 'lunch', 'work_hours'):
        op.drop_constraint(op.f(f'ck_clinicians_{name}'), 'clinicians', type_='check')
    for name in ('deactivated_at', 'lunch_end_time', 'lunch_start_time', 'work_end_time', 'work_start_time',
                 'working_days'):
        op.drop_column('clinicians', name)
