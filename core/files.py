"""Files staff ask hosho to write (exports, reports, PDFs): where, checked before any work, and
how, whole or not at all.

A file appears only complete: it is written to a temporary file in the target folder and
renamed over the target, so an existing file is replaced at once, never left half-written.
A file holding a 認証キー is ``private``: readable by this user only, also when it replaces a
file that others could read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from core.errors import HoshoError


class FileError(HoshoError):
    """A file cannot be written where staff asked (one Japanese line)."""


# Why a write failed, by errno; else the system's own words.
_REASONS = {
    errno.EACCES: "権限",
    errno.EPERM: "権限",
    errno.EROFS: "読み取り専用の場所です",
    errno.ENOSPC: "ディスクの空きがありません",
    errno.EDQUOT: "容量の上限に達しています",
    errno.EISDIR: "フォルダです",
    errno.ENAMETOOLONG: "名前が長すぎます",
    errno.ENOENT: "この場所にはファイルを作れません",
}


def cannot_write(target: Path | str, exc: OSError) -> FileError:
    """The message for a write that failed with ``exc``."""
    if exc.errno == errno.ENOENT and not Path(target).parent.is_dir():  # removed meanwhile
        return FileError(f"保存先のフォルダがありません: {Path(target).parent}")
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or type(exc).__name__
    return FileError(f"{target} に書き込めません（{reason}）")


def check_output(path: str | Path) -> Path:
    """The file to write, checked before any work: named, not a folder, in a folder that exists
    and that this user may write to."""
    text = str(path).strip()
    if not text:
        raise FileError("保存先のファイルを指定してください")
    target = Path(text).expanduser()
    if target.is_dir():
        raise FileError(f"{text} はフォルダです。ファイル名を指定してください")
    folder = target.parent
    if not folder.exists():
        raise FileError(f"保存先のフォルダがありません: {folder}")
    if not folder.is_dir():
        raise FileError(f"{folder} はフォルダではありません。保存先のフォルダを指定してください")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise FileError(f"{folder} に書き込めません（権限）")
    if target.exists() and not os.access(target, os.W_OK):
        raise FileError(f"{text} に書き込めません（権限）")
    return target


def _mode_for(target: Path, private: bool) -> int:
    """Permissions for the new file: owner only when private; else the replaced file's, else
    the usual ones (umask)."""
    if private:
        return 0o600
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_file(target: Path, *, private: bool = False) -> Iterator[Path]:
    """A temporary file beside ``target`` (owner only), renamed over it once the body succeeds;
    removed if it fails. Readers of ``target`` see the old file or the complete new one."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise cannot_write(target, exc) from None
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.chmod(temp, _mode_for(target, private))
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise cannot_write(target, exc) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_file(path: str | Path, data: bytes | str, *, private: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole, after checking where; the file written.
    ``private``: readable by this user only (a file holding a 認証キー)."""
    target = check_output(path)
    content = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_file(target, private=private) as temp:
        temp.write_bytes(content)
    return target
