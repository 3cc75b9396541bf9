"""agentotel's stand-in for the official suites' unpublished test helpers.

The official GenAI instrumentations import ``opentelemetry.test_util_genai``
from their repository; it is not on PyPI. These modules provide the names
their tests import, written for agentotel's conformance job.
"""
