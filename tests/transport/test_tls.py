"""TLS on both adapters: ``verify=`` and ``$SSL_CERT_FILE``, read per client, honoured alike."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from velstack_async import APIConnectionError, AsyncVelstack, InvalidInputError
from velstack_async._http import network

from .conftest import list_groups

pytestmark = pytest.mark.anyio


async def test_an_unknown_certificate_authority_is_refused(adapter: str, https_url: str) -> None:
    with pytest.raises(APIConnectionError, match=r"(?i)certificate") as caught:
        await list_groups(https_url)
    assert caught.value.may_have_been_sent is False


async def test_verify_takes_a_ca_file(adapter: str, https_url: str, ca_file: str) -> None:
    assert await list_groups(https_url, verify=ca_file) == []


async def test_verify_takes_a_context(adapter: str, https_url: str, ca: trustme.CA) -> None:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    assert await list_groups(https_url, verify=context) == []


async def test_verify_false_skips_verification(adapter: str, https_url: str) -> None:
    assert await list_groups(https_url, verify=False) == []


async def test_ssl_cert_file_is_read_per_client(
    adapter: str, https_url: str, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", ca_file)
    assert await list_groups(https_url) == []
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(APIConnectionError, match=r"(?i)certificate"):
        await list_groups(https_url)  # a later client sees the change
    monkeypatch.setenv("SSL_CERT_DIR", str(Path(ca_file).parent))
    with pytest.raises(APIConnectionError, match=r"(?i)certificate"):
        await list_groups(https_url)  # a directory needs OpenSSL's hashed names: not trusted


def test_a_missing_ca_file_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="CA bundle"):
        AsyncVelstack(api_key="vs_key", verify=str(tmp_path / "missing.pem"))


def test_clients_share_one_default_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading certifi's bundle costs tens of ms: made once, verifying, for every client."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = network.ssl_context(True)
    assert context is network.ssl_context(True)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
