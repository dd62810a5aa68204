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


# emu's stages, in data-flow order: a module imports only from its own stage and the stages before it.
# functional and fidelity are siblings (neither imports the other); study stands on all of them.
EMU_STAGE_RANK = {
    "errors": 0,
    "scenario": 1,
    "lower": 2,
    "memory": 3,
    "cost": 4,
    "sim": 5,
    "deploy": 6,
    "functional": 7,
    "fidelity": 7,
    "study": 8,
}


def emu_stages_imported(path: Path) -> set[str]:
    """The emu stages a module imports, at top level or inside a function (lazy imports count)."""
    stages = set()
    for node in ast.walk(ast.parse(path.read_text())):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        for module in modules:
            parts = module.split(".")
            if parts[0] == "emu":
                assert len(parts) > 1, f"{path.relative_to(ROOT)}: import from a stage, not from emu"
                stages.add(parts[1])
    return stages


def test_every_emu_module_lives_in_a_known_stage():
    for path in (ROOT / "emu").iterdir():
        if path.suffix == ".py" and path.name != "__init__.py":
            assert path.stem in EMU_STAGE_RANK, f"{path.name} is outside emu's stage packages"
        elif path.is_dir() and path.name != "__pycache__":
            assert path.name in EMU_STAGE_RANK, f"emu/{path.name}/ is not a known stage"


@pytest.mark.parametrize("stage", sorted(EMU_STAGE_RANK))
def test_emu_stages_import_only_earlier_stages(stage):
    folder = ROOT / "emu" / stage
    paths = list(folder.rglob("*.py")) if folder.is_dir() else [ROOT / "emu" / f"{stage}.py"]
    rank = EMU_STAGE_RANK[stage]
    for path in paths:
        for imported in emu_stages_imported(path) - {stage}:
            assert EMU_STAGE_RANK[imported] < rank, (
                f"{path.relative_to(ROOT)} (stage {stage}) imports the later stage {imported}"
            )
