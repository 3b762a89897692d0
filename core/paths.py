"""Every filesystem location hosho uses, in one place."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "hosho"

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """Folder holding the shipped knowledge files (orderers.yaml, faq.yaml, ...).

    In a wheel the files are installed as ``core/data``; in a source checkout
    (editable install, tests) they sit in the repository's top-level ``data/``.
    """
    packaged = _PACKAGE_DIR / "data"
    if packaged.is_dir():
        return packaged
    return _PACKAGE_DIR.parent / "data"


def migrations_dir() -> Path:
    return _PACKAGE_DIR / "migrations"


def user_data_dir() -> Path:
    """Per-user folder for the embedded database and the outbox files."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_cache_dir() -> Path:
    """Per-user folder for files hosho can rebuild at any time (the FAQ index)."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def user_config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return user_data_dir() / "hosho.db"


def config_file() -> Path:
    return user_config_dir() / "config.toml"


def secret_key_file() -> Path:
    """The data key that seals the 認証キー and the kept notices (core.crypto), beside the
    config. Kept out of the database and out of its backups on purpose."""
    return user_config_dir() / "secret.key"


def log_file() -> Path:
    """hosho.log: what went wrong, for the unexpected (readable by this user only)."""
    return user_data_dir() / "hosho.log"
