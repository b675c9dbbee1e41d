"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-30 04:42:38.377589
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=50), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "hierarchy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["parent_id"], ["hierarchy.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("parent_id", "name", name="uq_hierarchy_sibling_name"),
    )
    with op.batch_alter_table("hierarchy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hierarchy_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "reason_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "characteristic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hierarchy_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=40), nullable=True),
        sa.Column("decimal_places", sa.Integer(), nullable=False),
        sa.Column("chart_type", sa.String(length=20), nullable=False),
        sa.Column("subgroup_size", sa.Integer(), nullable=False),
        sa.Column("usl", sa.Float(), nullable=True),
        sa.Column("lsl", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("tag", sa.String(length=500), nullable=True),
        sa.Column("sampling_interval_minutes", sa.Integer(), nullable=True),
        sa.Column("baseline_subgroups", sa.Integer(), nullable=True),
        sa.Column("chart_params", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["hierarchy_id"], ["hierarchy.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hierarchy_id", "name", name="uq_characteristic_name"),
        sa.UniqueConstraint("tag"),
    )
    with op.batch_alter_table("characteristic", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_characteristic_hierarchy_id"), ["hierarchy_id"], unique=False
        )

    op.create_table(
        "characteristic_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("characteristic_id", sa.Integer(), nullable=False),
        sa.Column("chart", sa.String(length=12), nullable=False),
        sa.Column("rule_key", sa.String(length=100), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["characteristic_id"], ["characteristic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "characteristic_id", "chart", "rule_key", name="uq_characteristic_rule"
        ),
    )
    with op.batch_alter_table("characteristic_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_characteristic_rule_characteristic_id"),
            ["characteristic_id"],
            unique=False,
        )

    op.create_table(
        "control_limits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("characteristic_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("center_line", sa.Float(), nullable=False),
        sa.Column("sigma", sa.Float(), nullable=False),
        sa.Column("ucl", sa.Float(), nullable=False),
        sa.Column("lcl", sa.Float(), nullable=False),
        sa.Column("subgroup_size", sa.Integer(), nullable=False),
        sa.Column("dispersion_center", sa.Float(), nullable=True),
        sa.Column("dispersion_ucl", sa.Float(), nullable=True),
        sa.Column("dispersion_lcl", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("from_sample_id", sa.Integer(), nullable=True),
        sa.Column("to_sample_id", sa.Integer(), nullable=True),
        sa.Column("sample_count", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["characteristic_id"], ["characteristic.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("characteristic_id", "version", name="uq_control_limits_version"),
    )
    with op.batch_alter_table("control_limits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_control_limits_characteristic_id"), ["characteristic_id"], unique=False
        )

    op.create_table(
        "sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("characteristic_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("batch_number", sa.String(length=100), nullable=True),
        sa.Column("operator_id", sa.String(length=100), nullable=True),
        sa.Column("subgroup_size", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("dispersion", sa.Float(), nullable=True),
        sa.Column("limits_id", sa.Integer(), nullable=True),
        sa.Column("z", sa.Float(), nullable=True),
        sa.Column("z_dispersion", sa.Float(), nullable=True),
        sa.Column("excluded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("excluded_reason", sa.Text(), nullable=True),
        sa.Column("excluded_by", sa.String(length=100), nullable=True),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["characteristic_id"], ["characteristic.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["limits_id"], ["control_limits.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("characteristic_id", "timestamp", name="uq_sample_time"),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sample_characteristic_id_id", ["characteristic_id", "id"], unique=False
        )

    op.create_table(
        "measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["sample_id"], ["sample.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sample_id", "position", name="uq_measurement_position"),
    )
    op.create_table(
        "violation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("characteristic_id", sa.Integer(), nullable=False),
        sa.Column("chart", sa.String(length=12), nullable=False),
        sa.Column("rule_key", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("limits_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["characteristic_id"], ["characteristic.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["limits_id"], ["control_limits.id"], ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["sample_id"], ["sample.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sample_id", "chart", "rule_key", name="uq_violation_sample_rule"),
    )
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_violation_characteristic_id_id", ["characteristic_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_violation_severity"), ["severity"], unique=False)

    op.create_table(
        "acknowledgment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("violation_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("reason_code", sa.String(length=50), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["violation_id"], ["violation.id"], ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("violation_id"),
    )
    _immutability_triggers()
    op.bulk_insert(
        sa.table("reason_code", sa.column("code"), sa.column("label"), sa.column("active")),
        [{"code": code, "label": label, "active": True} for code, label in DEFAULT_REASON_CODES],
    )


DEFAULT_REASON_CODES = [
    ("TOOL_WEAR", "Tool wear"),
    ("TOOL_CHANGE", "Tool change"),
    ("MATERIAL_CHANGE", "Material / lot change"),
    ("SETUP", "Machine setup or adjustment"),
    ("OPERATOR_ERROR", "Operator error"),
    ("MEASUREMENT_ERROR", "Measurement error / gauge problem"),
    ("MAINTENANCE", "Maintenance"),
    ("ENVIRONMENT", "Environmental conditions"),
    ("FALSE_ALARM", "Investigated: no assignable cause"),
    ("OTHER", "Other (see comment)"),
]


# Records that must never change once written. ``sample`` may change only its exclusion
# columns; the rest are append-only.
IMMUTABLE = {
    "sample": (
        "id",
        "characteristic_id",
        "timestamp",
        "received_at",
        "source",
        "batch_number",
        "operator_id",
        "subgroup_size",
        "value",
        "dispersion",
        "limits_id",
        "z",
        "z_dispersion",
    ),
    "measurement": None,
    "violation": None,
    "acknowledgment": None,
    "control_limits": None,
    "audit_log": None,
}


def _immutability_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for table, columns in IMMUTABLE.items():
        if dialect == "sqlite":
            of = f"OF {', '.join(columns)} " if columns else ""
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE {of}ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} records are immutable'); END"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} records are immutable'); END"
            )
        else:
            op.execute(
                f"CREATE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} records are immutable'; END $$"
            )
            of = f"OF {', '.join(columns)} " if columns else ""
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE {of}ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_immutable()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_immutable()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in IMMUTABLE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_immutable()")
    op.drop_table("acknowledgment")
    with op.batch_alter_table("violation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_violation_severity"))
        batch_op.drop_index("ix_violation_characteristic_id_id")

    op.drop_table("violation")
    op.drop_table("measurement")
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_characteristic_id_id")

    op.drop_table("sample")
    with op.batch_alter_table("control_limits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_limits_characteristic_id"))

    op.drop_table("control_limits")
    with op.batch_alter_table("characteristic_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_characteristic_rule_characteristic_id"))

    op.drop_table("characteristic_rule")
    with op.batch_alter_table("characteristic", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_characteristic_hierarchy_id"))

    op.drop_table("characteristic")
    op.drop_table("user_account")
    op.drop_table("reason_code")
    with op.batch_alter_table("hierarchy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hierarchy_parent_id"))

    op.drop_table("hierarchy")
    op.drop_table("audit_log")
    op.drop_table("api_key")
