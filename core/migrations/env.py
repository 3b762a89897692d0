"""Alembic environment: migrations run on the engine handed over by core.db."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import core.models  # noqa: F401  (registers the tables)

config = context.config
target_metadata = SQLModel.metadata

# The text search objects of migration 0006 (core.textsearch) are not in the models: the FTS5
# tables on SQLite with their shadow tables, the pg_trgm and bigram indexes on PostgreSQL.
_TEXT_SEARCH = re.compile(r"(customer|guarantee)_fts(_\w+)?|ix_\w+_(trgm|bigram)")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ in ("table", "index") and name and _TEXT_SEARCH.fullmatch(name))


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:  # plain `alembic` command line: -x url=...
        url = context.get_x_argument(as_dictionary=True)["url"]
        engine = create_engine(url, hide_parameters=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()
