"""import jobs: background imports of historical data (plugin openspc-batch)

The table belongs to the ``openspc-batch`` plugin (model in ``openspc_batch.tables``); it
lives in the kernel's migration chain so that one ``openspc db upgrade`` builds the whole
schema. An unused table is harmless when the plugin is not installed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_job_status", "import_job", ["status"])


def downgrade() -> None:
    op.drop_index("ix_import_job_status", table_name="import_job")
    op.drop_table("import_job")
