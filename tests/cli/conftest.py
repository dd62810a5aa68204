"""Run the real ``tinyemu`` command in a subprocess at a fixed terminal width."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_cli(*args: str, columns: int = 100) -> Run:
    env = {**os.environ, "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def golden(request):
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = ROOT / "tests" / "cli" / "golden" / name
        if update:
            path.write_text(text)
        assert path.exists(), f"no golden file {path} (pytest --update-golden writes it)"
        assert text == path.read_text(), f"output differs from {path} (pytest --update-golden rewrites it)"

    return check
