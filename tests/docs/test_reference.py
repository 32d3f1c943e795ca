"""The API reference (docs/reference/) lists every public name, so none goes undocumented."""

from __future__ import annotations

import importlib
import re

import pytest

from .blocks import ROOT

MODULES = ["velstack_async", "velstack_async.testing", "velstack_async.distributed"]
DIRECTIVE = re.compile(r"^::: ([\w.]+)$", re.MULTILINE)


def documented() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs/reference").glob("*.md"))
    return set(DIRECTIVE.findall(text))


@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_is_in_the_reference(module: str) -> None:
    names = {n for n in importlib.import_module(module).__all__ if not n.startswith("__")}
    missing = sorted(n for n in names if f"{module}.{n}" not in documented())
    assert not missing, f"not in docs/reference: {missing}"


def test_the_reference_names_only_public_names() -> None:
    for target in documented():
        module, _, name = target.rpartition(".")
        assert name in importlib.import_module(module).__all__, target
