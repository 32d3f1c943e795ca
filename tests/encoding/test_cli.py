# ruff: noqa: RUF001  (look-alike characters are what these tests are about)
"""``velstack estimate`` and ``bulk``: the characters forcing UCS-2, savings, the flag."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from velstack_async.testing import FakeVelstack

from ..cli.conftest import as_json, velstack

TEMPLATE = "Hello {name}, your order is ready – pick it up at “Osu Mall” before 6 pm today…"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("VELSTACK_API_KEY", "VELSTACK_BASE_URL", "VELSTACK_SENDER", "VELSTACK_SANDBOX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("VELSTACK_JOURNAL_DIR", str(tmp_path / "journals"))


@pytest.fixture
def people(tmp_path: Path) -> str:
    path = tmp_path / "people.csv"
    rows = "".join(f"020555{i:04d},{name}\n" for i, name in enumerate(["Ama", "Kofi", "Yaw"] * 10))
    path.write_text("phone_number,name\n" + rows, encoding="utf-8")
    return str(path)


def test_estimate_names_the_characters_and_the_saving() -> None:
    message = "It’s 50% off – today only" + "!" * 50
    result = velstack("estimate", "-m", message, "-n", "1000")
    assert result.exit_code == 0, result.stderr
    assert "2 characters force UCS-2: ’ at 3, – at 14" in result.stdout
    assert "GSM-7, 1 segment(s), 1,000 credits (saves 1,000)" in result.stdout
    on = as_json(velstack("--json", "estimate", "-m", message, "-n", "1000", "--smart-encoding"))
    assert (on["encoding"], on["credits"], on["before"]["credits"]) == ("GSM-7", 1000, 2000)
    assert [(c["char"], c["position"]) for c in on["ucs2_characters"]] == [("’", 3), ("–", 14)]


def test_dry_run_shows_the_template_characters_and_savings(people: str) -> None:
    result = velstack("bulk", people, "-m", TEMPLATE, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "4 characters force UCS-2: – at 35, “ at 51, ” at 60, … at 79" in result.stdout
    assert "on: saves 30 credits" in result.stdout
    off = as_json(
        velstack("--json", "bulk", people, "-m", TEMPLATE, "--dry-run", "--no-smart-encoding")
    )
    assert (off["credits"], off["ucs2_messages"], off["smart_encoding_saves"]) == (60, 30, 30)


@pytest.fixture
def served() -> Iterator[tuple[FakeVelstack, str]]:
    fake = FakeVelstack(balance=10_000)
    with fake.serve_in_thread() as base_url:
        yield fake, base_url


@pytest.mark.parametrize(("flags", "credits"), [((), 30), (("--no-smart-encoding",), 60)])
def test_bulk_sends_smart_encoded_unless_told_not_to(
    served: tuple[FakeVelstack, str], people: str, flags: tuple[str, ...], credits: int
) -> None:
    fake, base_url = served
    args = ("--json", "--base-url", base_url, "--api-key", fake.api_key)
    result = velstack(*args, "bulk", people, "-m", TEMPLATE, "--sender", "SHOP", *flags)
    assert result.exit_code == 0, result.stderr
    assert as_json(result)["sent"] == 30
    assert fake.balance() == 10_000 - credits
    assert {m.segments for m in fake.messages} == {credits // 30}
