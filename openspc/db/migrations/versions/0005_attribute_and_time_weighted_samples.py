"""attribute and time-weighted samples: a count and a size; the EWMA/CUSUM statistic

- ``count``/``size``: an attribute sample (p, np, c, u charts) is a count of nonconforming
  items or nonconformities in a sample of ``size`` items or inspection units; it has no
  measurement rows.
- ``statistic``/``statistic_lower``: what an EWMA (E) or CUSUM (C⁺, C⁻) chart plots at the
  sample, computed when it was judged (NULL while there are no limits).

The new columns are immutable like the sample's other recorded columns: the sample's update
trigger is recreated with them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RECORDED = (
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
)
NEW = ("count", "size", "statistic", "statistic_lower")


def _update_trigger(columns: tuple[str, ...]) -> None:
    of = ", ".join(f'"{c}"' for c in columns)
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER sample_no_update")
        op.execute(
            f"CREATE TRIGGER sample_no_update BEFORE UPDATE OF {of} ON sample "
            "BEGIN SELECT RAISE(ABORT, 'sample records are immutable'); END"
        )
    else:
        op.execute("DROP TRIGGER sample_no_update ON sample")
        op.execute(
            f"CREATE TRIGGER sample_no_update BEFORE UPDATE OF {of} ON sample "
            "FOR EACH ROW EXECUTE FUNCTION sample_immutable()"
        )


def upgrade() -> None:
    op.add_column("sample", sa.Column("count", sa.Integer(), nullable=True))
    op.add_column("sample", sa.Column("size", sa.Float(), nullable=True))
    op.add_column("sample", sa.Column("statistic", sa.Float(), nullable=True))
    op.add_column("sample", sa.Column("statistic_lower", sa.Float(), nullable=True))
    _update_trigger(RECORDED + NEW)


def downgrade() -> None:
    _update_trigger(RECORDED)
    for column in reversed(NEW):
        op.drop_column("sample", column)
