"""rounds: route and report-backs shown

A round keeps the phases it runs through, and a commitment remembers the round it was
last brought back to, so a report made between meetings is shown once.

Revision ID: c71a01587702
Revises: a616a2832277
Create Date: 2026-11-26 11:14:46.834658
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c71a01587702"
down_revision: str | None = "a616a2832277"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Named, so SQLite's batch mode can drop it again on the way down.
SHOWN_IN_ROUND_FK = "fk_commitment_shown_in_round_id_round"


def upgrade() -> None:
    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shown_in_round_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(SHOWN_IN_ROUND_FK, "round", ["shown_in_round_id"], ["id"])

    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("route")

    with op.batch_alter_table("commitment", schema=None) as batch_op:
        batch_op.drop_constraint(SHOWN_IN_ROUND_FK, type_="foreignkey")
        batch_op.drop_column("shown_in_round_id")
