"""Finished benchmark experiments: re-runnable, outside `python -m bench run` and its tests.

See bench/experiments/README.md.
"""
