"""Helpers of the ChatWait Chainlit app (`frontend/app.py`).

Pure modules (no Chainlit import, unit-tested on their own): `turn_view` (events →
panes), `choices` (agents, models, mode), `history` (conversations → threads),
`coalesce` (batched renders), `bindings` (thread id ↔ conversation id), and the
backend's HTTP API: `api`, `stream` (SSE with resume).
Chainlit-facing: `chat`, `reopen` (a reopened running turn goes live) and
`data_layer`.
"""
