"""The layer contracts hold, and they catch an import that points up a layer.

The contracts live in pyproject.toml ([tool.importlinter]); `make lint` and CI run `lint-imports`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=src,
        check=False,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "src" / "kneadwell", tmp_path / "kneadwell", ignore=shutil.ignore_patterns("*.pyc")
    )
    return tmp_path


def test_the_code_keeps_every_contract(tree_copy: Path) -> None:
    result = _lint(tree_copy)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_an_import_up_a_layer_breaks_the_contract(tree_copy: Path) -> None:
    # Planning reading scheduling's models is exactly what the layers forbid.
    target = tree_copy / "kneadwell" / "planning" / "selectors.py"
    target.write_text(target.read_text() + "\nfrom kneadwell.scheduling.models import Appointment  # noqa\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "kneadwell.planning is not allowed to import kneadwell.scheduling" in result.stdout


def test_an_engine_importing_django_breaks_the_contract(tree_copy: Path) -> None:
    target = tree_copy / "kneadwell" / "planning" / "tailoring" / "engine.py"
    target.write_text(target.read_text() + "\nimport django.db  # noqa\n")
    result = _lint(tree_copy)
    assert result.returncode != 0
    assert "kneadwell.planning.tailoring is not allowed to import django" in result.stdout
