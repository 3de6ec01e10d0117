"""members keep their own time zone

Private messages (preparing for a meeting, nudges about actions, the facilitator's
digest) arrive in each person's waking hours, so a membership remembers the Slack time
zone of the person it belongs to; NULL means not known yet, and the Set's zone stands in.

Revision ID: 31b14aa611c0
Revises: c71a01587702
Create Date: 2026-11-26 11:53:05.064035
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "31b14aa611c0"
down_revision: str | None = "c71a01587702"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("timezone")
