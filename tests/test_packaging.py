"""A wheel carries everything an installed hosho needs besides its dependencies."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_contains_data_templates_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("hosho-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("orderers.yaml", "faq.yaml", "branches.yaml"):
        assert f"core/data/{data}" in names
    assert "core/migrations/env.py" in names and "core/migrations/script.py.mako" in names
    versions = {n for n in names if n.startswith("core/migrations/versions/") and n.endswith(".py")}
    assert len(versions) == len(list((ROOT / "core/migrations/versions").glob("*.py")))
    templates = {n for n in names if "/templates/" in n}
    on_disk = {str(p.relative_to(ROOT)) for p in ROOT.glob("*/templates/**/*") if p.is_file()}
    assert on_disk <= templates
