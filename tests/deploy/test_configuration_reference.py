"""docs/configuration.md is generated from the settings classes and never drifts from them."""

from __future__ import annotations

from pathlib import Path

from billwire_shared import config_reference as ref

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


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
