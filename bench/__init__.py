"""Benchmarks: how fast setbot answers Slack, sends reminders, scans its outbox, and how
much memory it needs, each measured beside a baseline so a noisy machine can't mislead.

Each module runs with `.venv/bin/python -m bench.NAME`, prints a table and writes
`bench/results/NAME.json`; BENCHMARKS.md holds the latest figures and what limits them.
"""
