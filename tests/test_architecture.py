"""House rules that code review keeps forgetting: imports point cli -> emu -> (hw_models, workloads)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "workloads": {"workloads"},
    "hw_models": {"hw_models"},
    "emu": {"emu", "workloads", "hw_models"},
    "cli": {"cli", "emu", "workloads", "hw_models"},
}


def project_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package):
    for path in (ROOT / package).rglob("*.py"):
        wrong = project_imports(path) - ALLOWED[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_numba_is_imported_only_by_the_kernels_package():
    for package in ALLOWED:
        for path in (ROOT / package).rglob("*.py"):
            if "kernels" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            for node in top_level:
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert not (module or "").startswith("numba"), (
                    f"{path.relative_to(ROOT)} imports numba at top level"
                )


def test_the_command_line_starts_without_numpy_scipy_or_numba():
    """The plan path answers fast: heavy libraries load only in the commands that run them."""
    import subprocess
    import sys

    code = "import sys, cli.app; print(sorted({'numba', 'numpy', 'scipy'} & set(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.strip() == "[]"
