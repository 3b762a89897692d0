"""Secrets at rest: the 認証キー and the kept お知らせ PDFs and mails, sealed with AES-GCM.

One 256-bit data key, from ``HOSHO_SECRET_KEY`` or the key file ``secret.key`` beside the
config (0600, made on first use). The database never holds the key, only its id (``Meta``
row ``secret_key_id``): a database that already holds sealed data is never given a new key,
and a missing or wrong key is a clear error rather than unreadable rows.

A sealed value is ``01 | key id (4) | nonce (12) | AES-GCM(ciphertext + tag)``, with the
version byte, the key id and the column's name as associated data (a value copied into
another column does not open). The key id names which key opens it, so during
:func:`rotate_key` the old key (``secret.key.old``) and the new one both work.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from core import paths
from core.errors import HoshoError

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect


VERSION = b"\x01"
KEY_BYTES = 32
ID_BYTES = 4
NONCE_BYTES = 12
META_KEY = "secret_key_id"  # Meta row: id of the key this database's secrets are sealed with
ENV_NAME = "HOSHO_SECRET_KEY"
_CHUNK = 200  # rows re-sealed per statement by rotate_key


class SecretKeyError(HoshoError):
    """The data key is missing, unreadable or not the one this database was sealed with."""


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"hosho secret key id\0" + key).digest()[:ID_BYTES]


def encode_key(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode("ascii")


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def parse_key(value: str, source: str) -> bytes:
    """A key written as base64 (standard or URL-safe, padding optional)."""
    compact = "".join(value.split()).replace("+", "-").replace("/", "_")
    try:
        key = base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise SecretKeyError(
            f"{source} の鍵が読めません（32バイトの鍵をbase64で書いたものが必要です）"
        )
    return key


@dataclass(frozen=True)
class Keyring:
    """The key new values are sealed with, and every key that may open a stored one."""

    current: bytes = field(repr=False)
    keys: dict[bytes, bytes] = field(repr=False)  # key id -> key
    source: str  # where the keys came from, for messages

    @property
    def current_id(self) -> str:
        return key_id(self.current).hex()

    def ids(self) -> set[str]:
        return {i.hex() for i in self.keys}

    def seal(self, plain: bytes, column: str) -> bytes:
        header = VERSION + key_id(self.current)
        nonce = secrets.token_bytes(NONCE_BYTES)
        return header + nonce + AESGCM(self.current).encrypt(nonce, plain, _aad(header, column))

    def open(self, sealed: bytes, column: str) -> bytes:
        header, nonce = sealed[: 1 + ID_BYTES], sealed[1 + ID_BYTES : 1 + ID_BYTES + NONCE_BYTES]
        if header[:1] != VERSION or len(sealed) < len(header) + NONCE_BYTES + 16:
            raise SecretKeyError(f"暗号化されていないか、形式の分からない値です（{column}）")
        key = self.keys.get(header[1:])
        if key is None:
            raise wrong_key(self, header[1:].hex())
        try:
            return AESGCM(key).decrypt(
                nonce, sealed[len(header) + NONCE_BYTES :], _aad(header, column)
            )
        except InvalidTag:
            raise SecretKeyError(
                f"認証キーを復号できません: {column} の値が壊れているか書き換えられています"
            ) from None


def _aad(header: bytes, column: str) -> bytes:
    return header + b"hosho:" + column.encode("ascii")


def wrong_key(ring: Keyring, wanted: str) -> SecretKeyError:
    return SecretKeyError(
        f"認証キーを復号できません。{ring.source} が、このデータベースを作ったときのものと"
        f"違います（データベースの鍵 ID {wanted}、この端末の鍵 ID {ring.current_id}）。"
        "そのときの鍵ファイルを置くか HOSHO_SECRET_KEY を設定してください"
    )


def missing_key(wanted: str) -> SecretKeyError:
    return SecretKeyError(
        f"認証キーを復号できません。鍵ファイル {paths.secret_key_file()} がなく、"
        f"HOSHO_SECRET_KEY もありません（このデータベースの鍵 ID {wanted}）。"
        "このデータベースを作ったときの鍵ファイルを置いてください（新しい鍵は作りません）"
    )


# --- the key file ------------------------------------------------------------------------


def old_key_file() -> Path:
    """The key before :func:`rotate_key`, kept until every secret is sealed with the new one."""
    path = paths.secret_key_file()
    return path.with_name(path.name + ".old")


def _env_key() -> str | None:
    from core.settings import get_settings

    value = get_settings().secret_key
    return value.get_secret_value() if value is not None else None


def _read_key_file(path: Path) -> bytes:
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # a key readable by others is tightened, never loosened
    try:
        return parse_key(path.read_text(encoding="ascii"), f"鍵ファイル {path}")
    except UnicodeDecodeError:
        raise SecretKeyError(f"鍵ファイル {path} の鍵が読めません") from None
    except PermissionError as exc:
        raise SecretKeyError(f"鍵ファイル {path} を読めません（{exc.strerror}）") from None


def write_key_file(path: Path, key: bytes, *, replace: bool) -> bool:
    """Write ``key`` to ``path`` (0600, complete before it appears). ``replace=False`` never
    overwrites: False when another process made the file first."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(encode_key(key) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
    finally:
        tmp.unlink(missing_ok=True)
    _sync_dir(path.parent)
    return True


def _sync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every system can)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


_cache: dict[object, Keyring] = {}


def load_keyring() -> Keyring | None:
    """The keys of this machine (None when there is none yet). Read again when the key file
    changes (another hosho rotated it)."""
    env = _env_key()
    path, old = paths.secret_key_file(), old_key_file()
    signature = (env, str(path), _stamp(path), _stamp(old))
    ring = _cache.get(signature)
    if ring is not None:
        return ring
    if env is not None:
        key = parse_key(env, ENV_NAME)
        ring = Keyring(key, {key_id(key): key}, ENV_NAME)
    elif signature[2] is None:
        return None
    else:
        key = _read_key_file(path)
        keys = {key_id(key): key}
        if signature[3] is not None:
            older = _read_key_file(old)
            keys[key_id(older)] = older
        ring = Keyring(key, keys, f"鍵ファイル {path}")
    _cache.clear()
    _cache[signature] = ring
    return ring


def create_keyring() -> Keyring:
    """The keys of this machine, making the key file when there is none. Only for a database
    that holds no sealed value yet (:func:`check_database_key`)."""
    ring = load_keyring()
    if ring is None:
        write_key_file(paths.secret_key_file(), new_key(), replace=False)
        ring = load_keyring()
        assert ring is not None
    return ring


def keyring() -> Keyring:
    ring = load_keyring()
    if ring is None:
        raise missing_key("不明")
    return ring


# --- columns -----------------------------------------------------------------------------


class EncryptedBytes(TypeDecorator[bytes]):
    """Bytes sealed at rest (BLOB / bytea); ``column`` names it in the associated data."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        return None if value is None else keyring().seal(bytes(value), self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> bytes | None:
        return None if value is None else keyring().open(bytes(value), self.column)


class EncryptedText(TypeDecorator[str]):
    """Text sealed at rest, stored as bytes like :class:`EncryptedBytes`."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else keyring().seal(value.encode("utf-8"), self.column)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().open(bytes(value), self.column).decode("utf-8")
