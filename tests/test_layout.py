"""The package layout: subpackages by what the code is, and no import cycles between modules.

Imports made at module level (outside ``if TYPE_CHECKING:`` and outside functions) are the
ones that run on import; a cycle among them makes the result depend on which module is
imported first.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cdktf_restate"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def top_level_imports(path: Path, known: set[str]) -> set[str]:
    """Modules of ours that ``path`` imports when it is imported."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                break
            if isinstance(inner, ast.Import):
                found.update(alias.name for alias in inner.names)
            elif isinstance(inner, ast.ImportFrom) and inner.module and inner.level == 0:
                found.add(inner.module)
                # `from package import module` imports that module too
                found.update(f"{inner.module}.{alias.name}" for alias in inner.names)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {
        module_name(path): top_level_imports(path, known) - {module_name(path)} for path in paths
    }


def test_no_import_cycles() -> None:
    graph = import_graph()
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle among cdktf_restate modules: {' -> '.join(error.args[1])}")


def test_the_checker_sees_a_cycle(tmp_path: Path) -> None:
    """The checker itself: two modules importing each other at module level are a cycle."""
    graph = {"a": {"b"}, "b": {"a"}}
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter(graph).static_order())
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nimport x.y\nif TYPE_CHECKING:\n    import x.z\n"
        "def f():\n    import x.w\n"
    )
    assert top_level_imports(module, {"x.y", "x.z", "x.w"}) == {"x.y"}


def test_subpackages_group_the_code() -> None:
    """Every module but the package's entry points lives in a subpackage named for what it is."""
    top_level = {path.name for path in PACKAGE.glob("*.py")}
    assert top_level == {"__init__.py", "_tf.py", "synth_kernel.py"}
    for subpackage in ("schema", "cluster", "lambdas", "terraform_module", "cli", "devtools"):
        assert (PACKAGE / subpackage / "__init__.py").is_file(), subpackage


def test_the_composer_is_short() -> None:
    """cluster/construct.py composes the parts; the parts do the work."""
    lines = (PACKAGE / "cluster" / "construct.py").read_text().count("\n")
    assert lines < 360, lines


def test_public_imports_unchanged() -> None:
    import cdktf_restate

    for name in cdktf_restate.__all__:
        assert getattr(cdktf_restate, name) is not None, name
    from cdktf_restate.cluster import RestateEcsFargateCluster

    assert RestateEcsFargateCluster is cdktf_restate.RestateEcsFargateCluster
