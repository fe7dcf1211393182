"""docs/configuration.md is generated from the settings classes and never drifts from them."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import msgspec

from billwire_cli import config_reference as ref
from billwire_shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
SERVICE_PACKAGES = sorted(ROOT.glob("services/*/billwire_*"))


def test_every_setting_has_a_meaning():
    missing = ref.missing_meanings()
    assert not missing, (
        "These settings have no meaning for docs/configuration.md: "
        + ", ".join(missing)
        + ". Put a comment on the field's line (or right above it) in its settings class, or add an"
        " entry to MEANINGS in shared/billwire_shared/config_reference.py; then regenerate with: "
        + ref.REGENERATE
    )


def test_meanings_table_has_no_stale_entries():
    used = {variable for _, cls in ref.settings_classes() for variable, *_ in ref.rows(cls)}
    stale = sorted(set(ref.MEANINGS) - used)
    assert not stale, f"MEANINGS in shared/billwire_shared/config_reference.py names settings that no longer exist: {stale}"


def test_configuration_reference_is_up_to_date():
    expected = ref.render()
    actual = DOC.read_text() if DOC.exists() else ""
    assert actual == expected, (
        "docs/configuration.md is out of date with the settings classes. Regenerate it with:\n    "
        + ref.REGENERATE
    )


def test_comment_parser_reads_trailing_and_preceding_comments():
    import msgspec

    class Sample(msgspec.Struct, kw_only=True):
        # Spread over
        # two lines.
        first: int = 1
        second: str = "x"  # on the line
        third: bool = False

    meanings = {field.name: ref.meaning(Sample, field) for field in msgspec.structs.fields(Sample)}
    assert meanings == {"first": "Spread over two lines.", "second": "On the line", "third": ref.NO_MEANING}



def _resolve(module: str, tree: ast.Module, name: str) -> object:
    """What `name` is in `module`: followed through its `from ... import`, else the module's own
    attribute (a `__main__` is never imported here: it would start the service)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == name:
                    return getattr(importlib.import_module(node.module), alias.name)
    return getattr(importlib.import_module(module), name)


def _settings_classes_in_services() -> dict[str, type]:
    """Every settings class of the services, read from their source: each class a service module
    defines that is a CommonSettings, and each class a service passes to `load_settings`."""
    found: dict[str, type] = {}
    for package in SERVICE_PACKAGES:
        for path in sorted(package.rglob("*.py")):
            module = ".".join(path.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
            tree = ast.parse(path.read_text(), str(path))
            defined = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
            loaded = {
                node.args[0].id for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "load_settings"
                and node.args and isinstance(node.args[0], ast.Name)
            }
            for name in sorted(defined | loaded):
                if name in defined and module.endswith("__main__"):
                    continue
                cls = _resolve(module, tree, name)
                if not (isinstance(cls, type) and issubclass(cls, msgspec.Struct)) or cls.__module__.startswith("billwire_shared"):
                    continue
                if name in loaded or issubclass(cls, CommonSettings):
                    found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def test_every_settings_class_of_every_service_is_in_the_reference():
    found = _settings_classes_in_services()
    services = {name.split(".")[0] for name in found}
    assert services == {"billwire_gateway", "billwire_invoices", "billwire_rendering", "billwire_mailer"}, found
    listed = {cls for _, cls in ref.settings_classes()}
    missing = sorted(name for name, cls in found.items() if cls not in listed)
    assert not missing, f"settings classes missing from config_reference.settings_classes(): {missing}"
