"""change feed: announce changes to what a clinician's slots are computed from (topic ``schedule``)

The slot engine's schedule (``appointments.slot_repository``) reads the organization, the clinician, the centres,
the weekly rules (all announced since 0003), the dated exceptions, the appointments and, for an unpaid hold, its
successful payment. The last three now announce ``schedule:<clinician id>`` on every committed change that can
change a slot, so a per-process schedule cache (``appointments.schedule_cache``) can be emptied by notification.
PostgreSQL folds identical notifications of one transaction into one, so a bulk load sends one per clinician.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 01:10:00
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The appointment columns a slot depends on; an edit of notes, links or reminders announces nothing.
_APPOINTMENT_FIELDS = ("status", "starts_at", "ends_at", "clinician_id", "organization_id", "hold_expires_at")
_APPOINTMENT_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _APPOINTMENT_FIELDS)

# A payment decides whether an unpaid hold has lapsed; it names the appointment, whose clinician is announced.
_PUBLISH_SCHEDULE_OF_PAYMENT = """
CREATE FUNCTION clinicops_publish_schedule_of_payment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clinician bigint;
BEGIN
    FOR clinician IN
        SELECT a.clinician_id FROM appointments a
         WHERE a.id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.appointment_id END,
                        CASE WHEN TG_OP <> 'DELETE' THEN NEW.appointment_id END)
           AND a.clinician_id IS NOT NULL
    LOOP
        PERFORM pg_notify('clinicops_changes', 'schedule:' || clinician);
    END LOOP;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute("CREATE TRIGGER appointments_schedule_added AFTER INSERT OR DELETE ON appointments FOR EACH ROW "
               "EXECUTE FUNCTION clinicops_publish_change('schedule', 'clinician_id')")
    op.execute(f"CREATE TRIGGER appointments_schedule_changed AFTER UPDATE ON appointments FOR EACH ROW "
               f"WHEN ({_APPOINTMENT_CHANGED}) EXECUTE FUNCTION clinicops_publish_change('schedule', 'clinician_id')")
    op.execute("CREATE TRIGGER availability_exceptions_changed AFTER INSERT OR UPDATE OR DELETE "
               "ON availability_exceptions FOR EACH ROW "
               "EXECUTE FUNCTION clinicops_publish_change('schedule', 'clinician_id')")
    op.execute(_PUBLISH_SCHEDULE_OF_PAYMENT)
    op.execute("CREATE TRIGGER payments_schedule_changed AFTER INSERT OR UPDATE OF status, appointment_id OR DELETE "
               "ON payments FOR EACH ROW EXECUTE FUNCTION clinicops_publish_schedule_of_payment()")
    for table in ("appointments", "availability_exceptions", "payments"):
        op.execute(f"CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION clinicops_publish_change('*', '')")


def downgrade() -> None:
    for table in ("appointments", "availability_exceptions", "payments"):
        op.execute(f"DROP TRIGGER {table}_truncated ON {table}")
    op.execute("DROP TRIGGER payments_schedule_changed ON payments")
    op.execute("DROP FUNCTION clinicops_publish_schedule_of_payment()")
    op.execute("DROP TRIGGER availability_exceptions_changed ON availability_exceptions")
    op.execute("DROP TRIGGER appointments_schedule_changed ON appointments")
    op.execute("DROP TRIGGER appointments_schedule_added ON appointments")
