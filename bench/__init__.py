"""ChatWait's benchmark harness: what ChatWait adds over the provider and the Agents SDK.

`uv run python -m bench run` starts the offline provider and ChatWait, each in a process
of its own, and measures the same workloads interleaved three ways from this process (the
load generator): the `openai` client direct to the provider (the limit), bare
`Runner.run_streamed`, and ChatWait's `/chat/streaming` and `/chat/wait` (with
`--chatwait-arms`, one ChatWait server and streaming arm per setting). Then it holds
1,000+ streams open and measures the database cost of a turn. See docs/benchmarks.md.
"""
