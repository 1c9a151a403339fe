"""Performance scenarios for SCRM, run as ``python -m bench <scenario>``.

Performance is measured here, not in timed tests: each scenario starts what it needs, drives a bounded load and the
runner prints one JSON line with its figures, the date and the machine, so results can be pasted into
docs/benchmarks.md and compared across changes. See docs/benchmarks.md for how to run them.
"""
