"""The aiohttp adapter: ``pip install 'velstack-async[fast]'``.

`AsyncVelstack` already uses it on asyncio when aiohttp is installed; pass one
to tune its pool, TLS or proxy::

    from velstack_async.fast import AiohttpTransport

    client = AsyncVelstack(transport=AiohttpTransport(limits=httpx.Limits(max_connections=500)))
"""

from ._http.aiohttp_adapter import AiohttpTransport

__all__ = ["AiohttpTransport"]
