"""The built-in offline provider: a real OpenAI-compatible HTTP server.

It is the demo default, the provider the tests drive and the load the benchmarks
put through the system. It speaks the chat completions wire format over real HTTP, so
nothing outside this package knows it is not OpenAI; fault models (`fault-429`,
`fault-drop-after-N`, ...) make it fail the ways real providers do.
"""

from chatwait.sim._app import REFUSED_KEY_PREFIX, authorization_digest, create_sim_app
from chatwait.sim._config import SimConfig
from chatwait.sim._models import OFFLINE_MODELS, is_offline_model
from chatwait.sim._serve import run

__all__ = [
    "OFFLINE_MODELS",
    "REFUSED_KEY_PREFIX",
    "SimConfig",
    "authorization_digest",
    "create_sim_app",
    "is_offline_model",
    "run",
]
