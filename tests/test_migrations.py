"""The Alembic migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

import pytest
from alembic import command

from core.db import Database, _alembic_config, current_revision, head_revision, open_database
from core.errors import HoshoError


def test_models_match_migrations(db: Database) -> None:
    command.check(_alembic_config(db.engine))  # raises when autogenerate would find a change


def test_downgrade_and_upgrade_again(db: Database) -> None:
    cfg = _alembic_config(db.engine)
    command.downgrade(cfg, "base")
    assert current_revision(db.engine) is None
    db.upgrade()
    assert current_revision(db.engine) == head_revision(db.engine)


def test_embedded_upgrades_itself_shared_must_be_upgraded(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        db = open_database(db_url)  # a new SQLite file is migrated on start
        assert current_revision(db.engine) == head_revision(db.engine)
        db.dispose()
        return
    with pytest.raises(HoshoError, match="hosho db upgrade"):
        open_database(db_url)


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(HoshoError, match="データベースに接続できません"):
        open_database("postgresql://nobody@127.0.0.1:1/none", auto_upgrade=False)


def test_head_constant_matches_the_scripts(db: Database) -> None:
    from core.migrations import HEAD_REVISION

    assert head_revision(db.engine) == HEAD_REVISION
