"""The parsed tenants file is cached by content: the same file is read from the cache, a changed one is
parsed again, and content JSON cannot hold exactly (YAML dates) is never cached."""

from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.config import DEFAULT_CONFIG, load_config
from ml_connector.config_cache import CACHE_ENV, load_yaml


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def test_a_file_is_parsed_once_per_content(tmp_path: Path, cache: Path) -> None:
    source = tmp_path / "tenants.yaml"
    source.write_text("tenants:\n  - tenant_id: a\n    n: 1\n", encoding="utf-8")
    assert load_yaml(source) == {"tenants": [{"tenant_id": "a", "n": 1}]}
    [entry] = list(cache.iterdir())
    entry.write_text('{"tenants": [{"tenant_id": "from-cache"}]}', encoding="utf-8")
    assert load_yaml(source) == {"tenants": [{"tenant_id": "from-cache"}]}  # read back, not parsed
    source.write_text("tenants:\n  - tenant_id: b\n", encoding="utf-8")
    assert load_yaml(source) == {"tenants": [{"tenant_id": "b"}]}  # new content: parsed again
    assert len(list(cache.iterdir())) == 2


def test_content_json_cannot_hold_is_not_cached(tmp_path: Path, cache: Path) -> None:
    source = tmp_path / "dates.yaml"
    source.write_text("day: 2026-01-01\n1: one\n", encoding="utf-8")
    first = load_yaml(source)
    assert load_yaml(source) == first and not cache.exists()


def test_the_config_loads_the_same_from_the_cache(cache: Path) -> None:
    first = load_config(DEFAULT_CONFIG)
    assert any(cache.iterdir())
    assert load_config(DEFAULT_CONFIG) == first


def test_only_the_wanted_tenants_are_validated(tmp_path: Path, cache: Path) -> None:
    demo = load_config(DEFAULT_CONFIG).tenants[0].tenant_id
    broken = DEFAULT_CONFIG.read_text(encoding="utf-8") + "\n  - tenant_id: Broken Tenant\n"
    source = tmp_path / "tenants.yaml"
    source.write_text(broken, encoding="utf-8")
    assert [t.tenant_id for t in load_config(source, only_tenants=lambda t: t == demo).tenants] == [demo]
