"""TLS and proxy settings, resolved per client from its options and the environment.

Both adapters get the same `ssl.SSLContext` and the same proxy URL, so they
honour ``verify=``, ``proxy=``, ``$SSL_CERT_FILE``, ``$SSL_CERT_DIR``,
``$HTTPS_PROXY`` and ``$NO_PROXY`` identically. The environment is read when a
client is created, not once per process.
"""

from __future__ import annotations

import functools
import os
import ssl
import urllib.request

import certifi
import httpx

from .._exceptions import InvalidInputError

__all__ = ["proxy_for", "ssl_context"]


def ssl_context(verify: bool | str | ssl.SSLContext) -> ssl.SSLContext:
    """The context a client verifies servers with (`verify=False`: one that does not)."""
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        return _unverified()
    if isinstance(verify, str):
        return _context_for(verify, _mtime(verify))
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    for path in (cafile, capath):
        if path is not None:
            return _context_for(path, _mtime(path))
    return _default()


def proxy_for(base_url: str, explicit: str | None, loopback: bool) -> str | None:
    """The proxy to reach ``base_url`` through: ``explicit``, else the environment's.

    A plain-http loopback URL never takes one from the environment: the proxy
    would read the API key.
    """
    if explicit is not None:
        return explicit
    url = httpx.URL(base_url)
    if loopback and url.scheme == "http":
        return None
    proxies = urllib.request.getproxies_environment()
    if not proxies:
        return None
    host = url.host if url.port is None else f"{url.host}:{url.port}"
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if "no" in proxies and bypass(host, proxies):
        return None
    proxy = proxies.get(url.scheme) or proxies.get("all")
    if proxy is None:
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy
    if httpx.URL(proxy).scheme not in ("http", "https"):
        raise InvalidInputError(
            f"the {url.scheme.upper()}_PROXY environment variable must be an http:// "
            "or https:// URL"
        )
    return proxy


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        raise InvalidInputError(f"no CA bundle file or directory at {path!r}") from None


@functools.lru_cache(maxsize=16)
def _context_for(path: str, mtime: float) -> ssl.SSLContext:
    """A context trusting the CAs at ``path`` (cached until the file changes)."""
    try:
        if os.path.isdir(path):
            return ssl.create_default_context(capath=path)
        return ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError):
        raise InvalidInputError(f"could not load CA certificates from {path!r}") from None


@functools.cache
def _default() -> ssl.SSLContext:
    """certifi's CA bundle, loaded once per process (it takes tens of milliseconds)."""
    return ssl.create_default_context(cafile=certifi.where())


@functools.cache
def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
