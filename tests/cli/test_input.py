"""Input the CLI refuses or reports row by row: blank fields, bad bytes, bad numbers, options."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Live, as_json, velstack, velstack_process

BLANKS = "phone_number,first_name,code\n0241234567,Ama,1\n0241234568,,2\n0241234569,Kofi,\n"


def test_dry_run_counts_blank_and_missing_fields_as_template_errors(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(BLANKS)
    args = ["--json", "bulk", str(source), "-m", "Hi {first_name}, code {code}", "--dry-run"]
    strict = as_json(velstack(*args))
    assert (strict["to_send"], strict["template_errors"]) == (1, 2)  # two blank cells
    allowed = as_json(velstack(*args, "--allow-blank-fields"))
    assert (allowed["to_send"], allowed["template_errors"]) == (3, 0)


def test_a_blank_field_fails_its_row_unless_allowed(live: Live, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(BLANKS)
    args = ["--json", "bulk", str(source), "-m", "Hi {first_name}, code {code}", "--sender", "Shop"]
    strict = live.velstack(*args)
    assert strict.exit_code == 7
    report = as_json(strict)
    assert (report["sent"], report["failed"]) == (1, 2)
    reasons = {u["line"]: u["reason"] for u in report["unsent"]}
    assert (
        reasons[3] == "blank template field(s) 'first_name' (--allow-blank-fields sends them as '')"
    )
    assert reasons[4].startswith("blank template field(s) 'code'")
    assert [m.text for m in live.fake.messages_for(live.api_key)] == ["Hi Ama, code 1"]

    allowed = live.velstack(*args, "--allow-blank-fields")  # resumes: the two failed rows
    assert allowed.exit_code == 0, allowed.stderr
    texts = sorted(m.text for m in live.fake.messages_for(live.api_key))
    assert texts == ["Hi , code 2", "Hi Ama, code 1", "Hi Kofi, code "]


def test_a_conversion_in_the_template_is_refused_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("phone_number,first_name\n0241234567,Ama\n")
    result = velstack("--sandbox", "bulk", str(source), "-m", "Hi {first_name!r}")
    assert result.exit_code == 6
    assert result.stdout == ""
    assert result.stderr == (
        "error: message template: {first_name!r}: conversions are not allowed in "
        "placeholders, write {first_name}\n"
    )


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path: Path) -> None:
    rows = [f"0241{i:06d},Name{i}" for i in range(600)]
    rows[499] = "0241999999,Ad\xe9l"  # line 501 of the file (after the header)
    source = tmp_path / "latin1.csv"
    source.write_bytes(("phone_number,first_name\n" + "\n".join(rows) + "\n").encode("latin-1"))
    result = velstack("bulk", str(source), "-m", "Hi {first_name}", "--dry-run")
    assert result.exit_code == 6
    assert result.stderr == (
        f"error: {source}: line 501, byte 14: not UTF-8 text (save it as CSV UTF-8)\n"
    )


def test_a_bad_number_in_a_comma_list_is_named(live: Live) -> None:
    before = live.fake.request_count
    result = live.velstack(
        "send", "--to", "0205550368,0205", "--to", "0241234567", "-m", "hi", "--sender", "Shop"
    )
    assert result.exit_code == 6
    assert result.stderr == (
        "error: --to: number 2 of 3 (*205): not a valid phone number for region GH\n"
    )
    assert live.fake.request_count == before


def test_send_prints_the_balance(live: Live) -> None:
    result = live.velstack("send", "--to", "0205550368", "-m", "hi", "--sender", "Shop")
    assert result.exit_code == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if "Credit left (balance)" in line]
    assert "999" in line


@pytest.mark.parametrize(
    "args",
    [
        ["bulk", "x.csv", "-m", "hi", "--concurrency", "0"],
        ["bulk", "x.csv", "-m", "hi", "--batch-size", "0"],
        ["bulk", "x.csv", "-m", "hi", "--rate", "-1"],
        ["contacts", "import", "x.csv", "--group", "g", "--concurrency", "0"],
        ["journals", "prune", "--older-than", "0x"],
    ],
    ids=["concurrency", "batch-size", "rate", "import concurrency", "age"],
)
def test_a_bad_option_value_is_a_usage_error(args: list[str]) -> None:
    result = velstack("--sandbox", *args)
    assert result.exit_code == 2  # as README's exit code table says
    assert "Invalid value for" in result.stderr


def test_invalid_numbers_are_skipped_alike_by_bulk_and_contacts_import(
    live: Live, tmp_path: Path
) -> None:
    source = tmp_path / "people.csv"
    source.write_text("phone_number,first_name\n0241234567,Ama\n12345,Bad\n")
    sent = live.velstack("bulk", str(source), "-m", "Hi {first_name}", "--sender", "Shop")
    group_id = next(g.id for g in live.fake.groups(live.api_key) if g.name == "My Group")
    imported = live.velstack("--json", "contacts", "import", str(source), "--group", group_id)
    assert (sent.exit_code, imported.exit_code) == (0, 0)
    report = as_json(imported)
    assert (report["added"], report["invalid_numbers"], report["failed"]) == (1, 1, 0)


def _unclosed_quote_file(tmp_path: Path) -> Path:
    """The issue's file: a header, a good row, a row whose quote never closes, 7 more rows."""
    rows = [f"024123400{i},Name{i},{i}" for i in range(7)]
    source = tmp_path / "unclosed.csv"
    source.write_text(
        'phone_number,first_name,code\n0241234567,Ama,1\n0205550369,"Kofi,2\n'
        + "\n".join(rows)
        + "\n"
    )
    return source


def test_a_quote_that_never_closes_refuses_the_file_before_anything_is_sent(
    live: Live, tmp_path: Path
) -> None:
    source = _unclosed_quote_file(tmp_path)
    before = live.fake.request_count
    expected = f"error: {source}: line 3: a quote opened in this row never closes\n"
    for extra in ([], ["--dry-run"]):
        args = ["bulk", str(source), "-m", "Hi {first_name}, code {code}", "--sender", "Shop"]
        result = live.velstack(*args, *extra)
        assert (result.exit_code, result.stderr, result.stdout) == (6, expected, "")
    assert live.fake.request_count == before
    assert live.fake.messages_for(live.api_key) == []


def test_the_console_script_refuses_an_unclosed_quote_in_the_sandbox(tmp_path: Path) -> None:
    source = _unclosed_quote_file(tmp_path)
    result = velstack_process("--sandbox", "bulk", str(source), "-m", "Hi {first_name} {code}")
    assert result.returncode == 6
    assert result.stderr == f"error: {source}: line 3: a quote opened in this row never closes\n"


@pytest.mark.parametrize(
    ("bad_row", "fields"), [("0241234569,Kofi", 2), ("0241234569,Kofi,3,x", 4)], ids=["few", "many"]
)
def test_a_row_with_other_than_one_value_per_column_is_refused_with_its_first_line(
    live: Live, tmp_path: Path, bad_row: str, fields: int
) -> None:
    source = tmp_path / "people.csv"  # the bad row starts on line 6: line 3 holds a newline
    source.write_text(
        "phone_number,first_name,code\n0241234567,Ama,1\n"
        f'0241234568,"Ko\nfi",2\n\n{bad_row}\n0241234570,Esi,4\n'
    )
    before = live.fake.request_count
    expected = (
        f"error: {source}: line 6: {fields} fields, but the header has 3 "
        "(every row needs one value per column)\n"
    )
    commands = [
        ["bulk", str(source), "-m", "Hi {first_name}", "--sender", "Shop"],
        ["bulk", str(source), "-m", "Hi {first_name}", "--dry-run"],
        ["contacts", "import", str(source), "--group", "g"],
    ]
    for command in commands:
        result = live.velstack(*command)
        assert (result.exit_code, result.stderr) == (6, expected)
    assert live.fake.request_count == before


def test_a_quoted_field_holding_a_newline_stays_one_field(live: Live, tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(
        'phone_number,first_name,code\n0241234567,"Ama\nMensah",1\n0241234568,"Kofi ""K""",2\n'
    )
    args = ["--json", "bulk", str(source), "-m", "Hi {first_name}, code {code}", "--sender", "Shop"]
    assert as_json(velstack(*args[:-2], "--dry-run"))["to_send"] == 2
    result = live.velstack(*args)
    assert result.exit_code == 0, result.stderr
    texts = sorted(m.text for m in live.fake.messages_for(live.api_key))
    assert texts == ["Hi Ama\nMensah, code 1", 'Hi Kofi "K", code 2']


def test_text_after_a_closing_quote_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text('phone_number,first_name\n0241234567,Ama\n0241234568,"Kofi" A,\n')
    result = velstack("bulk", str(source), "-m", "Hi {first_name}", "--dry-run")
    assert result.exit_code == 6
    assert result.stderr == (
        f"error: {source}: line 3: text after a closing quote (write a quote inside a quoted "
        'field as "")\n'
    )
