"""The simulator's shape: small modules with one job each, and imports that never go in a circle.

A circle (``company`` → ``generator`` → ``company``) means neither module can be read, tested or
changed alone; a module above ~500 lines is doing more than one job (team rules). Both are
checked on the source, so a new module is covered without being listed here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import qbwc_server.sim

SIM_DIR = Path(qbwc_server.sim.__file__).parent
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM_DIR.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = SIM_DIR.parent.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _sim_imports(path: Path) -> set[str]:
    """The ``qbwc_server.sim`` modules ``path`` imports (``TYPE_CHECKING`` imports included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            submodules = [
                f"{source}.{a.name}" for a in node.names if _is_module(f"{source}.{a.name}")
            ]
            found.update(submodules or [source])
    return {n for n in found if n.startswith("qbwc_server.sim") and _is_module(n)}


def _graph() -> dict[str, set[str]]:
    return {_module_name(p): _sim_imports(p) for p in sorted(SIM_DIR.rglob("*.py"))}


def test_no_simulator_module_is_above_500_lines() -> None:
    too_long = {
        str(p.relative_to(SIM_DIR)): n
        for p in sorted(SIM_DIR.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def test_simulator_imports_have_no_circle() -> None:
    graph = _graph()
    assert "qbwc_server.sim.quickbooks.company" in graph
    assert "qbwc_server.sim.quickbooks.generator" in graph["qbwc_server.sim.quickbooks.company"]
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            # A package's __init__ re-exporting its modules is not a circle of jobs.
            if node.startswith(target + "."):
                continue
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_circle_check_finds_a_circle() -> None:
    """The check above can fail: the import reader sees relative imports both ways."""
    quickbooks = SIM_DIR / "quickbooks"
    assert "qbwc_server.sim.quickbooks.company_data" in _sim_imports(
        quickbooks / "record_writes.py"
    )
    assert "qbwc_server.sim.quickbooks.names" in _sim_imports(
        quickbooks / "generator" / "context.py"
    )
