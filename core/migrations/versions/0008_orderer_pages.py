"""the facts of orderers' own public pages, kept beside the documents' record

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 10:00:00.000000

orderer.pages holds what the shipped page files (data/pages/) say of a body, apart from
orderer.shipped (the documents' record) and orderer.amendment (what staff recorded).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD / DROP COLUMN, on SQLite too: no "move and copy" rebuild of orderer, which the
# guarantees and the history refer to.


def upgrade() -> None:
    op.add_column('orderer', sa.Column('pages', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('orderer', 'pages')
