"""The tenants file parsed once per content, not once per process.

A worker parses the DAG file before every task, and with it the tenants file: PyYAML builds its
Python objects in Python even with libyaml (about 12,000 of them for 500 tenants). What it built
is kept as JSON (read back in C) under the file's content hash in a per-user cache folder, so a
changed file is simply a new entry. Files whose content JSON cannot hold exactly are never cached.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

CACHE_ENV = "ML_CONNECTOR_CACHE_DIR"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ml-connector"


def load_yaml(source: Path) -> Any:
    """The YAML document of `source` (OSError if unreadable, yaml.YAMLError if not YAML)."""
    raw = source.read_bytes()
    entry = cache_dir() / f"config-{hashlib.sha256(raw).hexdigest()}.json"
    try:
        return json.loads(entry.read_bytes())
    except (OSError, ValueError):
        pass
    data = yaml.load(raw.decode("utf-8"), Loader=_LOADER)
    _store(entry, data)
    return data


def _store(entry: Path, data: Any) -> None:
    try:
        text = json.dumps(data)
        if json.loads(text) != data:  # e.g. YAML dates, or int keys: read the YAML each time instead
            return
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".config-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, entry)  # readers see the whole entry or none
    except (OSError, TypeError, ValueError):
        return  # no cache (read-only home, say): parsing again is only slower
