"""Where the store lives, when it is on, and the retention settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentotel.store import default_path, settings, store_enabled


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        ({}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, False),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "   "}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "AGENTOTEL_STORE": "on"}, True),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "AGENTOTEL_STORE": "/x.db"}, True),
        ({"AGENTOTEL_STORE": "off"}, False),
        ({"AGENTOTEL_STORE": "0"}, False),
        ({"AGENTOTEL_STORE": "FALSE"}, False),
        ({"AGENTOTEL_STORE": "/tmp/t.db"}, True),
    ],
)
def test_store_enabled(env: dict[str, str], enabled: bool) -> None:
    assert store_enabled(env) is enabled


def test_default_path(tmp_path: Path) -> None:
    assert default_path({}, cwd=str(tmp_path)) == tmp_path / ".agentotel" / "traces.db"
    assert default_path({"AGENTOTEL_STORE": "on"}, cwd=str(tmp_path)) == (
        tmp_path / ".agentotel" / "traces.db"
    )
    assert default_path({"AGENTOTEL_STORE": "/data/t.db"}) == Path("/data/t.db")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("2s", 2.0),
        ("1.5h", 5400.0),
        ("7d", 604800.0),
        ("30", 30.0),
        ("90m", 5400.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert settings.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "fast", "10 parsecs", "-1s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        settings.parse_duration(text)


def test_retention_settings() -> None:
    assert settings.max_age_s({}) == settings.DEFAULT_MAX_AGE_S
    assert settings.max_age_s({"AGENTOTEL_STORE_MAX_AGE": "3"}) == 3 * 86400
    assert settings.max_age_s({"AGENTOTEL_STORE_MAX_AGE": "12h"}) == 12 * 3600
    assert settings.max_age_s({"AGENTOTEL_STORE_MAX_AGE": "off"}) is None
    assert settings.max_age_s({"AGENTOTEL_STORE_MAX_AGE": "soon"}) == settings.DEFAULT_MAX_AGE_S
    assert settings.max_bytes({}) == settings.DEFAULT_MAX_BYTES
    assert settings.max_bytes({"AGENTOTEL_STORE_MAX_SIZE": "2GB"}) == 2 * 1024**3
    assert settings.max_bytes({"AGENTOTEL_STORE_MAX_SIZE": "100mb"}) == 100 * 1024**2
    assert settings.max_bytes({"AGENTOTEL_STORE_MAX_SIZE": "none"}) is None
