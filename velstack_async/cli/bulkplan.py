"""What ``velstack bulk`` reads: its options, the CSV file and the message template, checked."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .. import _validation as check
from .._bulk import BulkMessage
from .._bulk.template import Template, TemplateError
from .._exceptions import InvalidInputError
from .csvinput import CsvError, CsvFile, Row

__all__ = ["BulkOptions", "Plan", "make_plan"]


@attrs.frozen
class BulkOptions:
    """The options of ``velstack bulk``, as given."""

    file: str
    message: str
    sender: str | None = None
    title: str | None = None
    concurrency: int = 32
    rate: float | None = None
    journal: str | None = None
    failed_out: str | None = None
    resend_unknown: bool = False


@attrs.frozen
class Plan:
    """A campaign's input, checked before anything is sent."""

    source: CsvFile
    phone_column: str
    template: Template

    def messages(self, rows: Iterator[Row], pending: dict[int, Row]) -> Iterator[BulkMessage]:
        """One `BulkMessage` per row, read lazily; each row is kept in ``pending`` by index
        until its result comes back."""
        phone_column = self.phone_column
        for index, row in enumerate(rows):
            pending[index] = row
            yield BulkMessage(row.fields[phone_column], fields=row.fields)


def make_plan(options: BulkOptions) -> Plan:
    """Read the header and check the template against it; `CsvError` when they do not fit."""
    source = CsvFile.open(options.file)
    phone_column = source.phone_column()
    try:
        template = Template(check.text("message", options.message))
    except (TemplateError, InvalidInputError) as exc:
        raise CsvError(str(exc)) from None
    unknown = [name for name in template.names if name not in source.columns]
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        raise CsvError(
            f"the message uses {listed}, but {options.file} has no such column "
            f"(columns: {source.describe_columns()})"
        )
    return Plan(source=source, phone_column=phone_column, template=template)
