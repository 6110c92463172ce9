"""Scale-out: replicas that share Postgres and Redis find and cover for each other.

Any replica serves any turn's stream (the Redis event log), a cancel reaches the owner
through Redis pub/sub, and a replica that dies has its turns ended `interrupted` by a
survivor once its Redis lease lapses. See `docs/deployment.md`.
"""

from chatwait.cluster.replica import Cluster

__all__ = ["Cluster"]
