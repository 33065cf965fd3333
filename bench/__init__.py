"""Benchmarks: Burrow against a lean raw aio-pika baseline on a real broker.

Run ``python -m bench.tasks --help``; ``docs/benchmarks.md`` says what is measured.
"""
