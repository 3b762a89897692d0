"""The domain layers never load the UI toolkit."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "modules",
    [
        "core.services, core.db, core.orderers, core.knowledge, core.dates, core.demo",
        "core.lifecycle, core.certificates",
        "faq",
        "mailer",
    ],
)
def test_imports_without_textual(modules: str) -> None:
    code = f"import sys; import {modules}; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
