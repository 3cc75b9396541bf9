"""Overhead benchmark of agentotel against peer instrumentation libraries (issue 10).

Run with ``python benchmarks/peers/run.py`` (``make bench-peers``); not part of the test suite.
The scripts here run in separate virtual environments and import each other as plain modules.
"""
