"""Schemathesis against the app's own OpenAPI document, over HTTP to the live server.

Every operation gets generated requests, valid and invalid (bounded examples), and every
response must pass schemathesis' checks: no 5xx, status, content type, headers and body
as documented, invalid data rejected. Then a stateful run follows the links
schemathesis infers (a turn's id into `GET /chat/turns/{turn_id}`, a conversation's
into PATCH and DELETE). Afterwards no turn is left running and every run is terminal.

The document is built from the app at collection time (schemathesis' lazy fixture
loader does not work with this pytest), and a test checks the live server serves the
very same document.

Acceptance of schema-valid data allows 422: agent and model names come from the
runtime's registry and MAX_MESSAGE_CHARS from settings, which a static schema cannot
enumerate, and control characters are refused with a clearer message than a pattern's.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from schemathesis import GenerationMode

from chatwait.api import create_app
from tests.reliability._checks import RUN_STATUSES
from tests.reliability._db import query
from tests.reliability._figures import record_figure
from tests.support import app as support_app
from tests.support.app import running_app
from tests.support.eventually import eventually

MAX_EXAMPLES = 40
SPEC = create_app(
    support_app.test_settings(Path(tempfile.gettempdir()), "sqlite+aiosqlite:///:memory:", 0)
).openapi()
schema = schemathesis.openapi.from_dict(copy.deepcopy(SPEC))  # it edits what it is given
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES
)
schema.config.checks.positive_data_acceptance.expected_statuses += ["422"]


@dataclass(frozen=True)
class Live:
    base_url: str
    database_url: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The server the fuzzing runs against; once the module is done with it, every run
    the fuzzing started must have ended (a failure shows as this fixture's teardown)."""
    with running_app(tmp_path_factory.mktemp("schema")) as (base_url, settings):
        served = Live(base_url, settings.resolved_database_url)
        yield served
        _check_nothing_left_running(served)


def test_the_live_server_serves_this_document(live: Live) -> None:
    assert httpx.get(f"{live.base_url}/openapi.json").json() == SPEC


@schema.parametrize()
def test_every_operation_survives_generated_requests(case: Any, live: Live) -> None:
    case.call_and_validate(base_url=live.base_url, timeout=30)
    record_figure("schemathesis generated requests (no 5xx, schema-conformant)", 1)


class Workflow(schema.as_state_machine()):  # type: ignore[misc]
    """Schemathesis' inferred links, played against the live server.

    A live server's state changes between runs, so Hypothesis cannot replay a failing
    sequence faithfully (it reports `FlakyStrategyDefinition` instead): the first
    failures are kept here and reported as they happened.
    """

    base_url = ""
    failures: list[str] = []
    requests = 0

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"base_url": self.base_url, "timeout": 30}

    def after_call(self, response: Any, case: Any) -> None:
        Workflow.requests += 1
        record_figure("schemathesis stateful requests (linked operations)", 1)

    def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
        try:
            super().validate_response(response, case, **kwargs)
        except Exception as exc:
            request = f"{case.method} {case.formatted_path}"
            self.failures.append(f"{request} -> {response.status_code}: {exc}")
            raise


def test_linked_operations_in_sequence(live: Live) -> None:
    """At least 60 linked requests; a run Hypothesis abandons as "flaky" (the server's
    state moved under its replay) is not a finding unless a check had failed in it."""
    Workflow.base_url, Workflow.requests = live.base_url, 0
    Workflow.failures.clear()
    settings = hypothesis.settings(
        max_examples=15,
        stateful_step_count=6,
        deadline=None,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.generate],
        database=None,
    )
    for _ in range(5):
        try:
            Workflow.run(settings=settings)
        except hypothesis.errors.FlakyStrategyDefinition as exc:
            if Workflow.failures:
                raise AssertionError("\n\n".join(Workflow.failures[:3])) from exc
        except Exception as exc:
            raise AssertionError("\n\n".join(Workflow.failures[:3]) or repr(exc)) from exc
        if Workflow.requests >= 60:
            return
    raise AssertionError(f"only {Workflow.requests} linked requests ran")


def _check_nothing_left_running(live: Live) -> None:
    """Every turn the fuzzing started ends, with a status runs may have."""
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        for row in query(live.database_url, "SELECT id FROM turns"):
            client.get(f"/chat/turns/{row['id']}")
    statuses = {r["status"] for r in query(live.database_url, "SELECT status FROM runs")}
    assert statuses <= RUN_STATUSES | {"running"}
    _wait_no_running(live.database_url)


def _wait_no_running(database_url: str, limit: float = 60.0) -> None:
    eventually(
        lambda: not query(database_url, "SELECT id FROM runs WHERE status = 'running'"),
        timeout=limit,
        message="runs still running after the fuzzing",
    )
    assert not query(database_url, "SELECT id FROM turns WHERE status = 'running'")
