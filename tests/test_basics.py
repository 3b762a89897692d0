"""Amounts, vocabularies, settings and keys: the small parts everything else relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ValidationError
from core.money import format_yen, parse_yen
from core.numbering import AUTH_KEY_ALPHABET, AUTH_KEY_LENGTH, is_valid_number, new_auth_key
from core.settings import Settings
from core.terms import GType, Kind, parse_gtype, parse_kind


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,000,000", 1_000_000),
        ("１，０００，０００円", 1_000_000),
        ("100万", 1_000_000),
        ("1億2000万円", 120_000_000),
        ("1億2,000万3,000", 120_003_000),
        ("¥3,000,000", 3_000_000),
        ("1.5億", 150_000_000),
        ("0", 0),
    ],
)
def test_parse_yen(text: str, value: int) -> None:
    assert parse_yen(text) == value


@pytest.mark.parametrize("text", ["", "abc", "-5", "1.5", "2000万1億", "12a"])
def test_parse_yen_refuses(text: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_yen(text, "保証金額")
    assert exc.value.problems[0].startswith("保証金額")


def test_format_yen() -> None:
    assert format_yen(1234567) == "1,234,567円"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("advance", GType.ADVANCE), ("前払", GType.ADVANCE), ("interim", GType.INTERIM),
     ("contract", GType.CONTRACT), ("契約保証", GType.CONTRACT), ("bid", GType.BID),
     ("入札ボンド", GType.BID), ("ＡＤＶＡＮＣＥ", GType.ADVANCE)],
)  # fmt: skip
def test_guarantee_types(text: str, expected: GType) -> None:
    assert parse_gtype(text) is expected


def test_kinds() -> None:
    assert parse_kind("測量・建設コンサルタント等") is Kind.SERVICES
    assert parse_kind("地域維持事業") is Kind.MAINTENANCE
    with pytest.raises(ValidationError, match="工事・業務委託・地域維持"):
        parse_kind("物品")


def test_auth_keys_avoid_look_alikes() -> None:
    keys = {new_auth_key() for _ in range(2000)}
    assert len(keys) == 2000
    for key in keys:
        assert len(key) == AUTH_KEY_LENGTH
        assert set(key) <= set(AUTH_KEY_ALPHABET)
    assert not set("0O1Il") & set(AUTH_KEY_ALPHABET)


def test_number_shape() -> None:
    assert is_valid_number("2070004426")
    assert not is_valid_number("207000442") and not is_valid_number("207000442X")


def test_settings_from_env_and_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("HOSHO_OPERATOR")  # set by the autouse fixture
    (config / "hosho").mkdir(parents=True)
    (config / "hosho" / "config.toml").write_text(
        'operator = "設定ファイル"\nbranch = "佐賀支店"\n', encoding="utf-8"
    )
    s = Settings()
    assert s.operator == "設定ファイル" and s.branch == "佐賀支店"
    assert s.effective_database_url.startswith("sqlite:///")
    assert s.effective_database_url.endswith("hosho/hosho.db")
    monkeypatch.setenv("HOSHO_OPERATOR", "環境変数")
    monkeypatch.setenv("HOSHO_DATABASE_URL", "postgresql://postgres@127.0.0.1/test")
    s = Settings()
    assert s.operator == "環境変数"  # environment wins over the file
    assert s.effective_database_url == "postgresql://postgres@127.0.0.1/test"
