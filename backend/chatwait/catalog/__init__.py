"""Which agents a user may run: the registry, the admin's toggles, the user's own keys.

No HTTP here: `api/` turns these calls and errors into routes and status codes.
"""

from chatwait.catalog._catalog import AdminAgent, AgentCatalog
from chatwait.catalog._toggles import Actor, AgentToggles, Toggle

__all__ = ["Actor", "AdminAgent", "AgentCatalog", "AgentToggles", "Toggle"]
