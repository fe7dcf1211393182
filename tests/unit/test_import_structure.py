"""The import structure, read from the source with `ast` (nothing is imported): no module
imports itself round a circle, and the services stay apart: gateway, invoices, rendering and
mailer import no other service (only billwire_shared), and billwire_shared imports no service.
A function-level or TYPE_CHECKING import counts too: it hides a circle, it does not remove it."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {
    "billwire_shared": REPO / "shared" / "billwire_shared",
    "billwire_gateway": REPO / "services" / "gateway" / "billwire_gateway",
    "billwire_invoices": REPO / "services" / "invoices" / "billwire_invoices",
    "billwire_rendering": REPO / "services" / "rendering" / "billwire_rendering",
    "billwire_mailer": REPO / "services" / "mailer" / "billwire_mailer",
    "billwire_cli": REPO / "cli" / "billwire_cli",
    "bench": REPO / "bench",
    "tests": REPO / "tests",
}
SERVICES = ("billwire_gateway", "billwire_invoices", "billwire_rendering", "billwire_mailer")


def module_files() -> dict[str, Path]:
    """Every module of the repo's packages by dotted name (a package by its __init__)."""
    modules = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = (package, *path.relative_to(folder).with_suffix("").parts)
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


MODULES = module_files()


def imported_names(module: str, path: Path) -> set[str]:
    """The dotted names `module` imports, anywhere in its code; relative imports resolved."""
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + is_package]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from a import b` imports module a.b when there is one, else the name b of a.
            names.update(f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in MODULES else origin for alias in node.names)
    return names


def first_party(name: str) -> str | None:
    """The repo module `name` lands in (the longest existing prefix), if it is ours."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in MODULES:
            return ".".join(parts[:end])
    return None


@cache
def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        targets = {first_party(name) for name in imported_names(module, path)}
        graph[module] = {target for target in targets if target is not None and target != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_package_is_found_with_its_modules() -> None:
    for package, folder in PACKAGES.items():
        assert (folder / "__init__.py").is_file(), package
    assert len([m for m in MODULES if m.startswith("billwire_invoices.")]) > 20


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_relative_and_from_imports_resolve_to_the_module_they_name(tmp_path: Path) -> None:
    source = tmp_path / "clients.py"
    source.write_text("from .common import Input\nfrom . import events\nfrom ..money import parse\nimport nats.js\n"
                      "def later():\n    from billwire_shared.outbox import add_event\n")
    names = imported_names("billwire_shared.contracts.clients", source)
    assert {first_party(name) for name in names} == {
        "billwire_shared.contracts.common", "billwire_shared.contracts.events", "billwire_shared.money", "billwire_shared.outbox", None,
    }


def test_no_import_circles() -> None:
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("package", ("billwire_shared", *SERVICES))
def test_services_import_no_other_service_and_shared_imports_none(package: str) -> None:
    graph = import_graph()
    allowed = {package, "billwire_shared"}
    crossings = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items() if module.split(".")[0] == package
        for target in targets if target.split(".")[0] not in allowed
    )
    assert crossings == []


MAX_LINES = 400  # issue 17: a file a person can hold in their head; the repo's rule


def test_no_python_file_is_over_400_lines() -> None:
    """Every module of the repo's packages (the same walk as the import checks, so a new package
    added to PACKAGES is held to it too)."""
    too_long = {name: lines for name, path in MODULES.items() if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert not too_long, f"over {MAX_LINES} lines: {too_long}"


MAX_INVOICES_ENTRIES = 14  # issue 17: the service's wings are found at a glance, not by file prefix


def test_the_invoices_service_has_at_most_14_top_level_entries() -> None:
    """A new feature lands in a wing (a package) of its own or inside one, not as another file
    beside `app.py`; caches and build output are not part of the layout."""
    entries = sorted(
        p.name for p in PACKAGES["billwire_invoices"].iterdir() if p.name != "__pycache__" and not p.name.endswith(".egg-info")
    )
    assert len(entries) <= MAX_INVOICES_ENTRIES, f"{len(entries)} entries: {entries}"
