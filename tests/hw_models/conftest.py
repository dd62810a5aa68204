"""Make ``import hw_models`` find the package, not this test folder.

pytest puts ``tests/`` on ``sys.path`` (for ``tests/conftest.py``), where ``tests/hw_models`` is a
namespace-package candidate; with the editable install's finder placed after the path finder, that
empty namespace wins. Putting the repository root first makes the real package win. The lasting fix is
``pythonpath = ["."]`` under ``[tool.pytest.ini_options]`` in pyproject.toml.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
