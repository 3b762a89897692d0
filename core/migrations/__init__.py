"""Alembic migrations. HEAD_REVISION lets start-up skip Alembic when the schema is current;
tests/test_migrations.py checks it against the scripts."""

HEAD_REVISION = "0008"
