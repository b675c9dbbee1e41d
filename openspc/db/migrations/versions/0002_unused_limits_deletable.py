"""control limits of a characteristic without samples may be deleted

A characteristic that never received a sample may be deleted (the API refuses once samples
exist). Its limit versions judged nothing, so they go with it; once the characteristic has a
sample every version of its limits is an immutable record again (updates stay refused always).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MESSAGE = "control_limits records are immutable"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER control_limits_no_delete")
        op.execute(
            "CREATE TRIGGER control_limits_no_delete BEFORE DELETE ON control_limits "
            "WHEN EXISTS (SELECT 1 FROM sample WHERE characteristic_id = OLD.characteristic_id) "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        return
    op.execute("DROP TRIGGER control_limits_no_delete ON control_limits")
    op.execute(
        "CREATE FUNCTION control_limits_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF EXISTS (SELECT 1 FROM sample WHERE characteristic_id = OLD.characteristic_id) "
        f"THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN OLD; END $$"
    )
    op.execute(
        "CREATE TRIGGER control_limits_no_delete BEFORE DELETE ON control_limits "
        "FOR EACH ROW EXECUTE FUNCTION control_limits_delete_guard()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER control_limits_no_delete")
        op.execute(
            "CREATE TRIGGER control_limits_no_delete BEFORE DELETE ON control_limits "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
        return
    op.execute("DROP TRIGGER control_limits_no_delete ON control_limits")
    op.execute("DROP FUNCTION control_limits_delete_guard()")
    op.execute(
        "CREATE TRIGGER control_limits_no_delete BEFORE DELETE ON control_limits "
        "FOR EACH ROW EXECUTE FUNCTION control_limits_immutable()"
    )
