"""clinic plans and billing: plan catalogue, invoices, read-only clinics (issue 11, helper B)

One subscription per clinic; ``plan_days`` (what a clinic used, by day) and ``invoices`` (one per monthly cycle).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_unique_constraint('uq_subscriptions_organization', 'subscriptions', ['organization_id'])
    op.create_table('plan_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('plan', sa.String(length=20), nullable=False),
    sa.Column('price_per_doctor_paise', sa.BigInteger(), nullable=False),
    sa.Column('doctors', sa.Integer(), nullable=False),
    sa.Column('peak_doctors', sa.Integer(), nullable=False),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('doctors >= 0 AND peak_doctors >= doctors', name=op.f('ck_plan_days_doctors')),
    sa.CheckConstraint('price_per_doctor_paise >= 0', name=op.f('ck_plan_days_price')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                            name=op.f('fk_plan_days_organization_id_organizations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_days')),
    sa.UniqueConstraint('organization_id', 'day', name='uq_plan_days_organization_day')
    )
    op.create_index(op.f('ix_plan_days_organization_id'), 'plan_days', ['organization_id'], unique=False)
    # Subscriptions that exist already have no usage history: it starts as their doctors active now.
    op.execute("""
        INSERT INTO plan_days (organization_id, day, plan, price_per_doctor_paise, doctors, peak_doctors)
        SELECT s.organization_id, s.starts_on, s.plan, s.price_per_doctor_paise, n.doctors, n.doctors
        FROM subscriptions s
        CROSS JOIN LATERAL (SELECT count(*) AS doctors FROM clinicians c
                            WHERE c.organization_id = s.organization_id AND c.is_active AND NOT c.is_deleted) n
    """)
    op.create_table('invoices',
    sa.Column('subscription_id', sa.BigInteger(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount_paise', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), server_default='INR', nullable=False),
    sa.Column('doctor_days', sa.Integer(), nullable=False),
    sa.Column('lines', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"),
              nullable=False),
    sa.Column('status', sa.String(length=10), server_default='OPEN', nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('link_id', sa.String(length=100), nullable=True),
    sa.Column('link_url', sa.Text(), nullable=True),
    sa.Column('link_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('provider_payment_id', sa.String(length=100), nullable=True),
    sa.Column('payment_method', sa.String(length=20), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("status IN ('OPEN', 'PAID')", name=op.f('ck_invoices_status')),
    sa.CheckConstraint('amount_paise >= 0 AND doctor_days >= 0', name=op.f('ck_invoices_amounts')),
    sa.CheckConstraint('period_start < period_end AND issued_on <= due_on', name=op.f('ck_invoices_dates')),
    sa.CheckConstraint("(status = 'PAID') = (paid_at IS NOT NULL)", name=op.f('ck_invoices_paid')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                            name=op.f('fk_invoices_organization_id_organizations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['subscription_id'], ['subscriptions.id'],
                            name=op.f('fk_invoices_subscription_id_subscriptions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('organization_id', 'period_start', name='uq_invoices_organization_period')
    )
    op.create_index(op.f('ix_invoices_organization_id'), 'invoices', ['organization_id'], unique=False)
    op.create_index('uq_invoices_link_id', 'invoices', ['provider', 'link_id'], unique=True,
                    postgresql_where=sa.text('link_id IS NOT NULL'))
    op.create_index('ix_invoices_open_due', 'invoices', ['due_on'], unique=False,
                    postgresql_where=sa.text("status = 'OPEN'"))


def downgrade() -> None:
    op.drop_index('ix_invoices_open_due', table_name='invoices', postgresql_where=sa.text("status = 'OPEN'"))
    op.drop_index('uq_invoices_link_id', table_name='invoices', postgresql_where=sa.text('link_id IS NOT NULL'))
    op.drop_index(op.f('ix_invoices_organization_id'), table_name='invoices')
    op.drop_table('invoices')
    op.drop_index(op.f('ix_plan_days_organization_id'), table_name='plan_days')
    op.drop_table('plan_days')
    op.drop_constraint('uq_subscriptions_organization', 'subscriptions', type_='unique')
