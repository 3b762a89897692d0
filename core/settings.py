"""Application settings: defaults < config file (TOML) < ``HOSHO_`` environment variables."""

from __future__ import annotations

import getpass
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core import paths


def _default_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (containers without passwd entries)
        return "unknown"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSHO_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in the user data folder"
    )
    operator: str = Field(default_factory=_default_operator, description="staff name for audit")
    number_prefix: str = Field(
        default="207", pattern=r"^\d{1,4}$", description="leading digits of 保証契約番号"
    )
    branch: str = Field(default="熊本支店", description="issuing branch name")
    company: str = Field(
        default="西日本建設業保証株式会社",
        min_length=1,
        max_length=100,
        description="the surety company's name on certificates, notices and the mail's sender",
    )

    theme: str = Field(default="textual-dark", description="Textual theme of the terminal UI")
    keys: dict[str, str] = Field(
        default_factory=dict, description="key overrides: binding id -> keys, e.g. 'app.faq' = 'f2'"
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout: float = 10.0
    smtp_ca_file: str | None = Field(
        default=None, description="CA certificate(s) to trust for starttls/tls (PEM file)"
    )
    smtp_helo_name: str | None = Field(
        default=None,
        description="the name given in EHLO (default: this machine's FQDN, which a slow DNS "
        "can take seconds to find)",
    )
    mail_from: str = "hosho@localhost"

    secret_key: SecretStr | None = Field(
        default=None,
        description="the data key sealing the 認証キー (base64 of 32 bytes); default: the key "
        "file secret.key beside the config, created on first use",
    )
    db_connect_timeout: float = Field(
        default=10.0, gt=0, description="seconds to wait for the database server to answer"
    )
    db_statement_timeout: float = Field(
        default=60.0,
        ge=0,
        description="seconds a statement may run on PostgreSQL before it is stopped (0: none)",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{paths.default_database_path()}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=paths.config_file())
        return (init_settings, env_settings, toml)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
