"""Scale-out tests: real replica processes, the real Redis and the real Postgres.

Redis is the one on 127.0.0.1:6379 (`CHATWAIT_TEST_REDIS_URL` overrides it), Postgres
the one of `CHATWAIT_TEST_POSTGRES_URL`, else postgresql://postgres@127.0.0.1:5432/test.
Each module's replicas share a fresh Postgres database (dropped after) and a Redis key
prefix of their own (deleted after). Without Redis or Postgres the tests skip.
"""

from __future__ import annotations

import os

import pytest
import redis

from tests.support.databases import POSTGRES_URL_ENV

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("CHATWAIT_TEST_REDIS_URL") or DEFAULT_REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {url} is not reachable: {exc}")
    finally:
        client.close()
    return url


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    import psycopg

    url = os.environ.get(POSTGRES_URL_ENV) or DEFAULT_POSTGRES_URL
    try:
        psycopg.connect(url, connect_timeout=2).close()
    except psycopg.Error as exc:
        pytest.skip(f"Postgres at {url} is not reachable: {exc}")
    return url
