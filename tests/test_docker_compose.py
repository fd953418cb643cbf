"""docker-compose.yaml cannot run here (no Docker engine): validate its structure instead."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yaml"


def test_compose_file_is_valid_and_complete() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    for name in ("postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                 "sandbox"):
        assert name in services, name
        assert services[name].get("image") or services[name].get("build"), name
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled"
    assert "AIRFLOW__CORE__FERNET_KEY" in env and "?" in env["AIRFLOW__CORE__FERNET_KEY"], \
        "the Fernet key must be required from the environment, never committed"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    for name, service in services.items():
        for dependency in service.get("depends_on", {}) or {}:
            assert dependency in services, f"{name} depends on unknown service {dependency}"
    assert "--host 0.0.0.0" in services["sandbox"]["command"]
    assert "constraints.txt" in services["airflow-init"]["command"], "containers install the pinned versions"
