"""The ``## Over SSH`` section of bench/RESULTS.md is replaced in place, the others kept (no SSH here)."""

from __future__ import annotations

from tests.e2e.ssh_harness import replace_section

NEW = "## Over SSH\n\nnew numbers\n"


def test_appended_when_absent() -> None:
    assert replace_section("# Results\n\n## Chart\n\nx\n", NEW) == "# Results\n\n## Chart\n\nx\n\n" + NEW


def test_replaced_in_place_and_idempotent() -> None:
    doc = "# Results\n\n## Over SSH\n\nold numbers\n\n## Chart\n\nx\n"
    once = replace_section(doc, NEW)
    assert once == "# Results\n\n## Over SSH\n\nnew numbers\n\n## Chart\n\nx\n"
    assert replace_section(once, NEW) == once


def test_replaced_at_the_end() -> None:
    doc = "# Results\n\n## Over SSH\n\nold\n"
    assert replace_section(doc, NEW) == "# Results\n\n" + NEW
