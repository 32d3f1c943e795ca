"""How a request leaves the SDK: one exchange interface, exactly two adapters.

```
Requester.request  (retries, pause gate, envelope, error mapping: _requester.py)
   └── Adapter.exchange(method, url, headers, content, timeout, max_bytes)
         ├── HttpxAdapter     httpx.AsyncClient.send: event hooks, respx, instrumentation
         └── AiohttpTransport aiohttp.ClientSession.request (the `fast` extra): asyncio's default
```

`choose_adapter` (choice.py) is the one rule that picks an adapter;
docs/http-adapters.md states it. Both adapters read bodies with the one
size-limited reader (`read_limited`) and report failures as `ExchangeError`,
which `_requester.py` maps to the SDK's exceptions in one place.
"""
