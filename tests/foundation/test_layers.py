"""Imports point one way (README "Architecture", docs/architecture.md).

The layer order is declared once, here, top to bottom. A module may import its own package and
anything in a lower layer; never a higher layer, and never a peer package of its own layer
(``sync`` and ``writeback`` do not know each other: the engine's driver combines them). The top
layer (the HTTP app, the CLI, the API, the pages and the status read model) may use anything.
Every import statement counts, also those inside functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "qbwc_server"

TOP = ("app", "cli", "api", "web", "runtime", "status", "serving", "diagnostics")
LAYERS: tuple[tuple[str, ...], ...] = (
    TOP,
    ("soap", "audit", "security"),  # the HTTP edge: SOAP endpoint, its audit trail; headers,
    # sign-in and CSRF of the API and pages
    ("engine",),
    ("sync", "writeback"),
    ("services",),
    ("records",),
    ("observability",),  # log context, metrics and counting: hooks from any layer above
    ("config",),
    ("qbxml", "db", "net"),
    # one UPDATE per table and flush: installed by db on its sessions; the event loop's reads,
    # a connection db keeps beside its engines
    ("flush_batching", "loop_reads"),
    ("help",),  # the help catalog: pure data, every layer may read its words
)
# Outside the layers: the simulator talks to the server only over the wire.
STANDALONE = ("sim",)


def _layer_of(component: str) -> int:
    for n, layer in enumerate(LAYERS):
        if component in layer:
            return n
    raise AssertionError(f"qbwc_server.{component} is in no layer: add it to LAYERS")


def _component(module: str) -> str | None:
    """``qbwc_server.sync.planner`` -> ``sync``; None for a module outside the package."""
    parts = module.split(".")
    if parts[0] != "qbwc_server":
        return None
    return parts[1] if len(parts) > 1 else ""


def _module(path: Path, root: Path) -> str:
    """``qbwc_server/sync/planner.py`` -> ``qbwc_server.sync.planner``; a package's
    ``__init__.py`` is the package."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    module = _module(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target


def _arrows_back_up(root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for path in sorted((root / "qbwc_server").rglob("*.py")):
        here = _component(_module(path, root))
        if here in (None, ""):
            continue  # qbwc_server/__init__.py
        for line, target in _imports(path, root):
            there = _component(target)
            if there is None or there == "" or there == here:
                continue  # outside the package, the package's version, or its own package
            where = f"{path.relative_to(root).as_posix()}:{line} imports {target}"
            if here in STANDALONE or there in STANDALONE:
                if here in TOP and there in STANDALONE:
                    continue  # the CLI runs the simulator
                found.append(f"{where} (the simulator and the server do not import each other)")
                continue
            mine, theirs = _layer_of(here), _layer_of(there)
            if mine == 0:
                continue
            if theirs < mine:
                found.append(f"{where} (an arrow back up: {here} is below {there})")
            elif theirs == mine:
                found.append(f"{where} ({here} and {there} are peers; neither imports the other)")
    return found


def test_imports_point_one_way() -> None:
    assert _arrows_back_up() == []


def test_every_package_has_a_layer() -> None:
    components = {_component(_module(p, ROOT)) for p in PACKAGE.rglob("*.py")}
    for component in components - {"", None, *STANDALONE}:
        assert component is not None
        _layer_of(component)


def test_models_import_nothing_of_the_server() -> None:
    for path in sorted((ROOT / "models").rglob("*.py")):
        for line, target in _imports(path):
            assert _component(target) is None, f"{path.relative_to(ROOT)}:{line} imports {target}"


def test_the_check_finds_arrows_back_up_and_between_peers(tmp_path: Path) -> None:
    """The walk really reads imports, also relative ones and those inside functions."""
    package = tmp_path / "qbwc_server"
    for folder in ("records", "sync", "writeback", "api"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "records" / "store.py").write_text(
        "def f() -> None:\n    from qbwc_server.sync import planner\n"
    )
    (package / "sync" / "steps.py").write_text("from ..writeback import delivery\n")
    (package / "api" / "x.py").write_text("from qbwc_server.records import store\n")
    assert _arrows_back_up(tmp_path) == [
        "qbwc_server/records/store.py:2 imports qbwc_server.sync "
        "(an arrow back up: records is below sync)",
        "qbwc_server/sync/steps.py:1 imports qbwc_server.writeback "
        "(sync and writeback are peers; neither imports the other)",
    ]
