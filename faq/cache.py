"""The built FAQ assistant, kept on disk between runs.

Building the assistant (Sudachi over every phrasing, then the TF-IDF indexes) takes a few
hundred milliseconds; loading a built one takes a fraction of that. The file's name is a digest
of everything the build depends on: the knowledge files' bytes, the source of ``faq/`` and of
``core/knowledge.py``, the tuning, and the versions of the analyser, its dictionary and numpy. An
edited file or an upgraded package therefore never meets a stale index. A missing, unreadable
or damaged file is rebuilt; a folder that cannot be written is skipped (answers are the same).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

from core import knowledge, orderers, paths

log = logging.getLogger(__name__)

_FORMAT = b"faq-index 1"
_PREFIX = "faq-index-"
_SUFFIX = ".pickle"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def cache_path(files: Sequence[Path], settings: str) -> Path | None:
    """Where the assistant built from ``files`` with ``settings`` is kept (None when a file
    cannot be read: the build then reports the problem)."""
    digest = hashlib.sha256(_FORMAT + settings.encode())
    for package in ("sudachipy", "sudachidict-core", "numpy"):
        digest.update(_version(package).encode())
    # The engine, the knowledge models and the register's merge of documents and pages.
    engine = sorted(Path(__file__).parent.glob("*.py"))
    try:
        for path in [*engine, Path(knowledge.__file__), Path(orderers.__file__), *files]:
            digest.update(str(path).encode() + path.read_bytes())
    except OSError:
        return None
    return paths.user_cache_dir() / f"{_PREFIX}{digest.hexdigest()[:32]}{_SUFFIX}"


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: a build makes a hundred thousand small objects
    (tokens, analyses), none of them garbage, and the collector would scan them again and
    again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            # Every object, the new ones included, goes straight to the oldest generation
            # (freezing, then unfreezing, does that): the next young collection would scan
            # them all to find no garbage.
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def load(path: Path) -> object | None:
    """The object stored at ``path``; None when there is none or it cannot be read."""
    try:
        with path.open("rb") as fh, paused_gc():
            found: object = pickle.load(fh)
            return found
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("FAQ index cache %s unreadable: %s", path, exc.strerror or exc)
        return None
    except Exception as exc:  # damaged, or written by an incompatible build: rebuild it
        log.warning("FAQ index cache %s damaged (%s); rebuilding", path.name, type(exc).__name__)
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def save(path: Path, value: object) -> None:
    """Store ``value`` at ``path`` atomically and remove older indexes; failures are logged
    and otherwise ignored (the cache is an optimisation)."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
        for old in set(path.parent.glob(f"{_PREFIX}*{_SUFFIX}")) - {path}:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        log.warning("FAQ index cache not written to %s: %s", path.parent, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
