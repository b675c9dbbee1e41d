"""import jobs across processes: the owner, its heartbeat and the last progress report

Several OpenSPC processes may share one database (scale-out). An import job runs in the
process that accepted its upload (the file waits in that process's upload folder):

- ``owner``: that process's id (``OPENSPC_PROCESS_ID``, default ``<hostname>-<pid>``);
- ``heartbeat_at``: refreshed by the owner while the job is queued or running; a job whose
  heartbeat is stale is failed by any process (its owner stopped responding);
- ``progress``: the running job's last progress report, so every process can show it.

Jobs recorded before this revision have no owner; they are failed once their ``created_at``
is older than the stale timeout.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_job") as batch:
        batch.drop_column("progress")
        batch.drop_column("heartbeat_at")
        batch.drop_column("owner")
