"""`qbwc_server.sim` must not import the server: it talks to any QBWC server over HTTP only."""

from __future__ import annotations

import ast
from pathlib import Path

import qbwc_server.sim

SIM_DIR = Path(qbwc_server.sim.__file__).parent


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    package = ".".join(("qbwc_server", *path.relative_to(SIM_DIR.parent).parent.parts))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.append(".".join([*base, node.module or ""]).rstrip("."))
            else:
                names.append(node.module or "")
    return names


def test_sim_imports_nothing_else_of_the_server() -> None:
    offenders = []
    files = sorted(SIM_DIR.rglob("*.py"))
    assert any(f.name == "webconnector.py" for f in files)
    for file in files:
        for name in imported_modules(file):
            if name.startswith("qbwc_server") and not name.startswith("qbwc_server.sim"):
                offenders.append(f"{file.relative_to(SIM_DIR)}: {name}")
            if name.startswith(("models", "migrations", "spyne", "sqlalchemy")):
                offenders.append(f"{file.relative_to(SIM_DIR)}: {name}")
    assert offenders == []
