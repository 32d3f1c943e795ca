"""Proxies on both adapters: ``proxy=``, ``$HTTPS_PROXY`` and ``$NO_PROXY``, read per client."""

from __future__ import annotations

import pytest

from velstack_async import APIConnectionError, AsyncVelstack

from .conftest import list_groups
from .connect_proxy import ConnectProxy

pytestmark = pytest.mark.anyio


def host_of(url: str) -> str:
    return url.removeprefix("https://")


async def test_an_explicit_proxy_tunnels_every_request(
    adapter: str, https_url: str, ca_file: str
) -> None:
    with ConnectProxy() as proxy:
        assert await list_groups(https_url, verify=ca_file, proxy=proxy.url) == []
    assert proxy.tunnels == [host_of(https_url)]


async def test_https_proxy_from_the_environment(
    adapter: str, https_url: str, ca_file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # set after import: read per client
        assert await list_groups(https_url, verify=ca_file) == []
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        assert await list_groups(https_url, verify=ca_file) == []
        monkeypatch.setenv("NO_PROXY", "example.com")
        assert await list_groups(https_url, verify=ca_file) == []
    # the first and the last client went through it; NO_PROXY=127.0.0.1 went direct
    assert proxy.tunnels == [host_of(https_url)] * 2


async def test_a_proxy_that_refuses_means_nothing_was_sent(
    adapter: str, https_url: str, ca_file: str
) -> None:
    with ConnectProxy(refuse=True) as proxy:
        async with AsyncVelstack(
            api_key="vs_key", base_url=https_url, verify=ca_file, proxy=proxy.url, max_retries=0
        ) as client:
            with pytest.raises(APIConnectionError) as caught:
                await client.sms.send(recipient="0205550368", message="hi", sender="VELSTACK")
    assert str(caught.value).startswith("connect error")
    assert caught.value.may_have_been_sent is False
    assert proxy.tunnels == []
