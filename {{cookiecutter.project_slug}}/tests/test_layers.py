"""The package's layers: ci -> stages and seams -> core, checked by import-linter; dvc.yaml follows the imports."""

import ast
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = "{{ cookiecutter.package_name }}"
SOURCE = PROJECT / "src" / PACKAGE


def imports_of(path: Path) -> set[str]:
    """The modules of the package that a module imports (absolute dotted names)."""
    relative = path.relative_to(SOURCE.parent).with_suffix("").parts
    package = relative[:-1]  # a module's package, or an __init__'s own
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - (node.level - 1)])
            target = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                module = f"{target}.{alias.name}"
                found.add(module if module_path(module) else target)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
            found.add(node.module)
    return {name for name in found if module_path(name)}


def module_path(name: str) -> Path | None:
    """The file of a module of the package, if there is one."""
    parts = name.split(".")[1:]
    for candidate in (
        SOURCE.joinpath(*parts).with_suffix(".py"),
        SOURCE.joinpath(*parts, "__init__.py"),
    ):
        if parts and candidate.is_file():
            return candidate
    return None


def test_import_linter_keeps_the_layers():
    """`lint-imports` passes: ci imports stages and core, stages only core, core nothing above."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_nothing_outside_ci_imports_it():
    """No module outside ci/ imports the CI machinery."""
    outside = [
        path for path in SOURCE.rglob("*.py") if "ci" not in path.relative_to(SOURCE).parts[:1]
    ]
    users = {
        path.name: sorted(name for name in imports_of(path) if name.startswith(f"{PACKAGE}.ci"))
        for path in outside
    }
    assert {name: found for name, found in users.items() if found} == {}


def test_each_stage_depends_on_what_it_imports():
    """Every module a stage imports, however indirectly, is a dependency of the stage in dvc.yaml."""
    stages = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        deps = [dep.replace("${pkg}", f"src/{PACKAGE}") for dep in stage["deps"]]
        seen, todo = set(), [f"{PACKAGE}.{name}"]
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo += imports_of(module_path(module))
        for module in seen:
            path = module_path(module).relative_to(PROJECT).as_posix()
            assert any(path == dep or path.startswith(dep + "/") for dep in deps), (name, path)


def test_no_stage_depends_on_ci():
    """A change under ci/ reruns no stage: no stage's dependency is in it."""
    stages = yaml.safe_load((PROJECT / "dvc.yaml").read_text())["stages"]
    deps = [dep for stage in stages.values() for dep in stage["deps"]]
    assert not [dep for dep in deps if dep.startswith("${pkg}/ci")]
