"""The package's shape: imports point down the layers, no cycles, small modules.

Read from the source (ast), not by importing, so a lazy import inside a
function counts as much as one at the top: it is still an arrow a reader
has to follow. docs/architecture.md explains the layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("assistant", "ui")
MAX_LINES = 400

# Lowest first. A module may import its own layer's modules (within one
# package) and any lower layer, never a higher one. The package's
# `__init__` is the public surface: nothing inside the project imports it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("assistant.config", "assistant.models", "assistant.errors", "assistant.files",
     "assistant.security", "assistant.sessions", "assistant.export", "assistant.service"),
    ("assistant.embed",),
    ("assistant.index",),
    ("assistant.ingest",),
    ("assistant.search",),
    ("assistant.answer",),
    ("assistant.core",),
    ("ui",),
    ("assistant.serve",),
    ("assistant.clients",),
    ("assistant.cli", "assistant.__main__"),
    ("assistant",),
)


def modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The project module an import names (a package's name stands for its `__init__`)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported project module, line) for every import statement, wherever it sits."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from assistant import security` names a submodule; `from assistant import Assistant` a public name
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target, known)
            if resolved and resolved != module:
                yield resolved, node.lineno


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for n, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), n
    assert rank >= 0, f"{module} is in no layer; add it to LAYERS"
    return rank


def graph() -> dict[str, set[str]]:
    known = modules()
    return {m: {target for target, _ in imports(m, p, known)} for m, p in known.items()}


def test_every_module_has_a_layer():
    for module in modules():
        layer_of(module)


def test_imports_point_down_the_layers():
    known = modules()
    upward = []
    for module, path in known.items():
        for target, line in imports(module, path, known):
            if layer_of(target) > layer_of(module):
                upward.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {target}, a higher layer")
    assert not upward, "\n".join(upward)


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_modules_stay_small():
    big = {m: n for m, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"over {MAX_LINES} lines: {big}"


def test_the_check_sees_an_upward_import_and_a_cycle(tmp_path):
    """The checks above can fail: a planted upward import and cycle are caught."""
    known = {"assistant.index.a": tmp_path / "a.py", "assistant.search.b": tmp_path / "b.py"}
    known["assistant.index.a"].write_text("def f():\n    from assistant.search import b\n")
    known["assistant.search.b"].write_text("from assistant.index import a\n")
    a_imports = list(imports("assistant.index.a", known["assistant.index.a"], known))
    assert a_imports == [("assistant.search.b", 2)]
    assert layer_of("assistant.search.b") > layer_of("assistant.index.a")
    b_imports = {t for t, _ in imports("assistant.search.b", known["assistant.search.b"], known)}
    assert "assistant.index.a" in b_imports  # with the lazy import above: a cycle
