"""text search on 商号, 商号カナ and 工事名; covering indexes for the guarantee search

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 00:11:47.714760

SQLite: FTS5 tables with the trigram tokenizer, kept in step by triggers — customer_fts (its
own copy of 商号 and of 商号カナ without spaces) and guarantee_fts (external content: the
index of guarantee.project_name). A later migration that rebuilds the customer or guarantee
table on SQLite (batch mode "move and copy") drops these triggers with the old table and must
create them again. PostgreSQL: pg_trgm GIN indexes on the same texts; the extension is
created in schema public when missing (a trusted extension: the database owner may). The
customers' texts are also indexed by their two-character pieces (hosho_bigrams), which
trigrams cannot find.
None of these objects is in the models; core/migrations/env.py leaves them out of the
comparison. Queries: core/textsearch.py.

The guarantee indexes (契約締結日, id) and (customer, 契約締結日) become covering — every
filtered column rides along (core.services._page_ids) — and (type, 契約締結日) and (status,
契約締結日) go: the covering date index checks type and status while it is walked.
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_UPGRADE = [
    # 商号 and 商号カナ: a copy (the カナ without its full-width spaces, as it is matched)
    "CREATE VIRTUAL TABLE customer_fts USING fts5("
    "name, kana, tokenize = 'trigram case_sensitive 1')",
    "INSERT INTO customer_fts (rowid, name, kana) "
    "SELECT id, name, replace(kana, '\u3000', '') FROM customer",
    "CREATE TRIGGER customer_fts_insert AFTER INSERT ON customer BEGIN "
    "INSERT INTO customer_fts (rowid, name, kana) "
    "VALUES (new.id, new.name, replace(new.kana, '\u3000', '')); END",
    "CREATE TRIGGER customer_fts_delete AFTER DELETE ON customer BEGIN "
    "DELETE FROM customer_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER customer_fts_update AFTER UPDATE OF id, name, kana ON customer BEGIN "
    "DELETE FROM customer_fts WHERE rowid = old.id; "
    "INSERT INTO customer_fts (rowid, name, kana) "
    "VALUES (new.id, new.name, replace(new.kana, '\u3000', '')); END",
    # 工事名: the index only, the text stays in guarantee
    "CREATE VIRTUAL TABLE guarantee_fts USING fts5(project_name, content = 'guarantee', "
    "content_rowid = 'id', tokenize = 'trigram case_sensitive 1')",
    "INSERT INTO guarantee_fts (guarantee_fts) VALUES ('rebuild')",
    "CREATE TRIGGER guarantee_fts_insert AFTER INSERT ON guarantee BEGIN "
    "INSERT INTO guarantee_fts (rowid, project_name) VALUES (new.id, new.project_name); END",
    "CREATE TRIGGER guarantee_fts_delete AFTER DELETE ON guarantee BEGIN "
    "INSERT INTO guarantee_fts (guarantee_fts, rowid, project_name) "
    "VALUES ('delete', old.id, old.project_name); END",
    "CREATE TRIGGER guarantee_fts_update AFTER UPDATE OF id, project_name ON guarantee BEGIN "
    "INSERT INTO guarantee_fts (guarantee_fts, rowid, project_name) "
    "VALUES ('delete', old.id, old.project_name); "
    "INSERT INTO guarantee_fts (rowid, project_name) VALUES (new.id, new.project_name); END",
]

_SQLITE_DOWNGRADE = [
    *(
        f"DROP TRIGGER IF EXISTS {table}_fts_{event}"
        for table in ("guarantee", "customer")
        for event in ("insert", "delete", "update")
    ),
    "DROP TABLE IF EXISTS guarantee_fts",
    "DROP TABLE IF EXISTS customer_fts",
]

# (index, table, indexed expression)
_TRIGRAM_INDEXES = [
    ("ix_customer_name_trgm", "customer", "name"),
    ("ix_customer_kana_trgm", "customer", "(replace(kana, '\u3000', ''))"),
    ("ix_guarantee_project_trgm", "guarantee", "project_name"),
]


# A text of two characters has no trigram: the customers' texts are also indexed by their
# two-character pieces, else 阿蘇 or あそ would read every customer.
_BIGRAMS = (
    "CREATE FUNCTION hosho_bigrams(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "AS $$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}') "
    "FROM generate_series(1, char_length(t) - 1) AS i $$"
)
_BIGRAM_INDEXES = [
    ("ix_customer_name_bigram", "customer", "hosho_bigrams(name)"),
    ("ix_customer_kana_bigram", "customer", "hosho_bigrams(replace(kana, '\u3000', ''))"),
]


def _postgres_upgrade() -> None:
    conn = op.get_bind()
    # One database holds one pg_trgm; several schemas migrating at once create it once.
    op.execute("SELECT pg_advisory_xact_lock(20260006)")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    schema = conn.exec_driver_sql(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    ).scalar_one()
    ops = '"{}".gin_trgm_ops'.format(schema.replace('"', '""'))
    for name, table, expression in _TRIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} {ops})")
    op.execute(_BIGRAMS)
    for name, table, expression in _BIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression})")


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_guarantee_customer_date'))
        batch_op.drop_index(batch_op.f('ix_guarantee_date_cover'))
        batch_op.drop_index(batch_op.f('ix_guarantee_status_date'))
        batch_op.drop_index(batch_op.f('ix_guarantee_type_date'))
        batch_op.create_index('ix_guarantee_date_cover', ['contract_date', 'id', 'customer_id', 'orderer_id', 'amount', 'type', 'status'], unique=False)
        batch_op.create_index('ix_guarantee_customer_cover', ['customer_id', 'contract_date', 'id', 'orderer_id', 'amount', 'type', 'status'], unique=False)

    # ### end Alembic commands ###
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_UPGRADE:
            op.execute(statement)
    else:
        _postgres_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWNGRADE:
            op.execute(statement)
    else:  # pg_trgm stays: other schemas of the database may use it
        for name, _, _ in _TRIGRAM_INDEXES + _BIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS hosho_bigrams(text)")
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.drop_index('ix_guarantee_customer_cover')
        batch_op.drop_index('ix_guarantee_date_cover')
        batch_op.create_index(batch_op.f('ix_guarantee_date_cover'), ['contract_date', 'id', 'amount', 'type', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantee_customer_date'), ['customer_id', 'contract_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantee_type_date'), ['type', 'contract_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_guarantee_status_date'), ['status', 'contract_date'], unique=False)

    # ### end Alembic commands ###
