"""What ``velstack bulk`` reads: its options, the CSV file and the message template, checked."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .._bulk import BulkMessage, CampaignOptions
from .csvinput import CsvError, CsvFile, Row

__all__ = ["BulkOptions", "Plan", "cli_reason", "make_plan"]

#: SDK keywords named in reasons, and the ``velstack bulk`` flag that does the same.
_FLAGS = (
    ("pass resend_unknown=True", "add --resend-unknown"),
    ("resend_unknown=True", "--resend-unknown"),
    ("allow_blank_fields=True", "--allow-blank-fields"),
)


def cli_reason(reason: str) -> str:
    """A result's reason as the command line says it: flags, not Python keywords."""
    for keyword, flag in _FLAGS:
        if keyword in reason:
            reason = reason.replace(keyword, flag)
    return reason


@attrs.frozen
class BulkOptions:
    """The options of ``velstack bulk``: the campaign's (checked by the SDK) and the CLI's own."""

    file: str
    #: Every campaign setting; ``journal`` is filled in with the default path when not given.
    campaign: CampaignOptions
    #: Whether ``--journal`` was given (the default journal is named after the campaign).
    journal_given: bool = False
    failed_out: str | None = None
    new_campaign: bool = False

    @property
    def journal(self) -> str:
        path = self.campaign.journal_path
        assert path is not None
        return path


@attrs.frozen
class Plan:
    """A campaign's input, checked before anything is sent."""

    source: CsvFile
    phone_column: str

    def messages(self, rows: Iterator[Row], pending: dict[int, Row]) -> Iterator[BulkMessage]:
        """One `BulkMessage` per row, read lazily; each row is kept in ``pending`` by index
        until its result comes back."""
        phone_column = self.phone_column
        for index, row in enumerate(rows):
            pending[index] = row
            yield BulkMessage(row.fields[phone_column], fields=row.fields)


def make_plan(file: str, campaign: CampaignOptions) -> Plan:
    """Read the header and check the template against it; `CsvError` when they do not fit."""
    source = CsvFile.open(file)
    phone_column = source.phone_column()
    template = campaign.template
    assert template is not None  # the command always gives a message
    unknown = [name for name in template.names if name not in source.columns]
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        raise CsvError(
            f"the message uses {listed}, but {file} has no such column "
            f"(columns: {source.describe_columns()})"
        )
    return Plan(source=source, phone_column=phone_column)
