"""change feed: triggers announce changes to what the process-local caches hold (clinicops.changes)

Every write to a row an access-token check or the public clinician directory reads sends
``pg_notify('clinicops_changes', 'topic:key')`` in the writing transaction, so the announcement is made whatever
wrote the row (a service, raw SQL, the seed, an operator) and only if it commits. A TRUNCATE announces ``*:*``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# (table, trigger name, topic, key column, events, WHEN condition or None)
_USER_FIELDS = ("is_active", "is_deleted", "token_version", "password_hash", "user_type", "organization_id",
                "full_name", "phone", "email", "username")
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _USER_FIELDS)
_TRIGGERS = [
    ("users", "users_changed", "user", "id", "UPDATE", _CHANGED),
    ("users", "users_deleted", "user", "id", "DELETE", None),
    ("user_roles", "user_roles_changed", "user", "user_id", "INSERT OR UPDATE OR DELETE", None),
    ("auth_sessions", "auth_sessions_changed", "session", "family_id", "INSERT OR UPDATE OR DELETE", None),
    ("patients", "patients_login_changed", "user", "user_id", "INSERT OR UPDATE OF user_id OR DELETE", None),
    ("clinicians", "clinicians_changed", "clinician", "id", "INSERT OR UPDATE OR DELETE", None),
    ("clinicians", "clinicians_login_changed", "user", "user_id", "INSERT OR UPDATE OF user_id, is_deleted OR DELETE",
     None),
    ("availability_rules", "availability_rules_changed", "clinician", "clinician_id", "INSERT OR UPDATE OR DELETE",
     None),
    ("centres", "centres_changed", "centre", "id", "INSERT OR UPDATE OR DELETE", None),
    ("organizations", "organizations_changed", "organization", "id", "INSERT OR UPDATE OR DELETE", None),
]
_TABLES = sorted({t[0] for t in _TRIGGERS})

_PUBLISH = """
CREATE FUNCTION clinicops_publish_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    topic text := TG_ARGV[0];
    old_key text;
    new_key text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('clinicops_changes', '*:*');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        old_key := to_jsonb(OLD) ->> TG_ARGV[1];
        IF old_key IS NOT NULL THEN
            PERFORM pg_notify('clinicops_changes', topic || ':' || old_key);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        new_key := to_jsonb(NEW) ->> TG_ARGV[1];
        IF new_key IS NOT NULL AND new_key IS DISTINCT FROM old_key THEN
            PERFORM pg_notify('clinicops_changes', topic || ':' || new_key);
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""

# A clinician's login carries the name (and, for staff readers, the contacts) the directory shows.
_PUBLISH_CLINICIAN_OF_USER = """
CREATE FUNCTION clinicops_publish_clinician_of_user() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clinician bigint;
BEGIN
    FOR clinician IN SELECT id FROM clinicians WHERE user_id = OLD.id LOOP
        PERFORM pg_notify('clinicops_changes', 'clinician:' || clinician);
    END LOOP;
    RETURN NULL;
END $$;
"""


def upgrade() -> None:
    op.execute(_PUBLISH)
    op.execute(_PUBLISH_CLINICIAN_OF_USER)
    for table, name, topic, column, events, when in _TRIGGERS:
        condition = f" WHEN ({when})" if when else ""
        op.execute(f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH ROW{condition} "
                   f"EXECUTE FUNCTION clinicops_publish_change('{topic}', '{column}')")
    op.execute(f"CREATE TRIGGER users_clinician_changed AFTER UPDATE ON users FOR EACH ROW WHEN ({_CHANGED}) "
               "EXECUTE FUNCTION clinicops_publish_clinician_of_user()")
    for table in _TABLES:
        op.execute(f"CREATE TRIGGER {table}_truncated AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
                   "EXECUTE FUNCTION clinicops_publish_change('*', '')")


def downgrade() -> None:
    for table in _TABLES:
        op.execute(f"DROP TRIGGER {table}_truncated ON {table}")
    op.execute("DROP TRIGGER users_clinician_changed ON users")
    for table, name, *_rest in reversed(_TRIGGERS):
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION clinicops_publish_clinician_of_user()")
    op.execute("DROP FUNCTION clinicops_publish_change()")
