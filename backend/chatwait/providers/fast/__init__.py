"""ChatWait's own Agents SDK model for streamed Chat Completions (`PROVIDER_CLIENT=fast`).

Same request, same events, same errors and retries as `OpenAIChatCompletionsModel`, for
less CPU per token: see `_model.py`. `Provider` builds one `RequestFactory` and one
`StreamTransport` (aiohttp pool) per provider and a `FastChatModel` per run.
"""

from chatwait.providers.fast._http import StreamTransport
from chatwait.providers.fast._model import FastChatModel
from chatwait.providers.fast._request import RequestFactory

__all__ = ["FastChatModel", "RequestFactory", "StreamTransport"]
