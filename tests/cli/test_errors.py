from __future__ import annotations

import click
import pytest

from velstack_async import (
    APIConnectionError,
    AuthenticationError,
    InsufficientBalanceError,
    InvalidInputError,
    JournalError,
    NotFoundError,
    ServerError,
    VelstackError,
)
from velstack_async.cli.output import CliError, ExitCode, exit_code_for, handle_errors


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthenticationError("Unauthenticated.", status_code=401), 3),
        (InsufficientBalanceError("Insufficient balance", status_code=403), 4),
        (NotFoundError("No such group", status_code=404), 5),
        (ServerError("Bad gateway", status_code=502), 5),
        (APIConnectionError("connection refused"), 5),
        (InvalidInputError("recipient: not a phone number"), 6),
        (JournalError("disk full"), 6),
    ],
)
def test_sdk_errors_map_to_exit_codes(error: VelstackError, code: int) -> None:
    assert exit_code_for(error) == code


def test_ctrl_c_outside_a_campaign_exits_130(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(click.exceptions.Exit) as exit_info, handle_errors(lambda: False):
        raise KeyboardInterrupt
    assert exit_info.value.exit_code == 130
    assert capsys.readouterr().err == "error: interrupted\n"


def test_cli_errors_keep_their_code(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(click.exceptions.Exit) as exit_info, handle_errors(lambda: True):
        raise CliError("cannot read x.csv", ExitCode.INPUT_ERROR)
    assert exit_info.value.exit_code == 6
    captured = capsys.readouterr()
    assert captured.err == "error: cannot read x.csv\n"
    assert '"exit_code": 6' in captured.out
