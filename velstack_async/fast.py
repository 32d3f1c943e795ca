"""The aiohttp-backed httpx transport: ``pip install 'velstack-async[fast]'``.

`AsyncVelstack` already uses it when aiohttp is installed; import it to tune
its pool or to put it under your own `httpx.AsyncClient`::

    from velstack_async.fast import AiohttpTransport

    client = AsyncVelstack(transport=AiohttpTransport(limits=httpx.Limits(max_connections=500)))
"""

from ._aiohttp import AiohttpTransport

__all__ = ["AiohttpTransport"]
