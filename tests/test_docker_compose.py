"""docker-compose.yaml, the Dockerfile and .env.example cannot run here (no Docker engine): the compose file is
validated against the compose-spec JSON schema (the copy check-jsonschema ships), and what it must say is
checked service by service."""

from __future__ import annotations

import importlib.resources
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from dotenv import dotenv_values

from ml_connector.airflow.hooks import BaswareHook, IfsCloudHook
from ml_connector.airflow.state import sqlalchemy_url
from ml_connector.config import load_config

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DEMO_TENANTS = ROOT / "include" / "ml_connector" / "demo_tenants.yaml"

AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer", "airflow-worker")
LONG_RUNNING = ("postgres", "redis", *AIRFLOW_SERVICES[1:], "sandbox")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # resolves the anchors and `<<` merges as compose does


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def test_compose_file_matches_the_compose_spec_schema(compose: dict[str, Any]) -> None:
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def test_schema_rejects_what_compose_rejects() -> None:
    """The validation can fail: a misspelt service key and an unknown depends_on condition are schema errors."""
    schema_file = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert not validator.is_valid({"services": {"a": {"image": "x", "helthcheck": {"test": ["CMD", "true"]}}}})
    assert not validator.is_valid({"services": {"a": {"image": "x", "depends_on": {"b": {"condition": "ready"}}}}})


def test_the_airflow_3_celery_stack_is_complete(services: dict[str, Any]) -> None:
    for name in ("postgres", "redis", *AIRFLOW_SERVICES, "sandbox"):
        assert name in services, name
    commands = {name: services[name]["command"] for name in AIRFLOW_SERVICES[1:]}
    assert commands == {"airflow-apiserver": "api-server", "airflow-scheduler": "scheduler",
                        "airflow-dag-processor": "dag-processor", "airflow-triggerer": "triggerer",
                        "airflow-worker": "celery worker"}
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://"), name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__CORE__TEST_CONNECTION"] == "Enabled", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"


def test_every_long_running_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck") or {}
        assert check.get("test") and check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: no healthcheck"
        assert not check.get("disable"), name
    # The init service runs once; the others wait for it to succeed, and for healthy PostgreSQL and Redis.
    assert services["airflow-init"]["restart"] == "no"
    for name in AIRFLOW_SERVICES[1:]:
        depends = services[name]["depends_on"]
        assert depends["airflow-init"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == depends["redis"] == {"condition": "service_healthy"}, name
    assert services["airflow-worker"]["depends_on"]["airflow-apiserver"] == {"condition": "service_healthy"}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}) or {}:
            assert dependency in services, f"{name} depends on unknown service {dependency}"


def test_init_migrates_and_creates_the_admin_user(services: dict[str, Any]) -> None:
    env = services["airflow-init"]["environment"]
    assert env["_AIRFLOW_DB_MIGRATE"] == env["_AIRFLOW_WWW_USER_CREATE"] == "true"
    assert env["_AIRFLOW_WWW_USER_PASSWORD"].startswith("${AIRFLOW_ADMIN_PASSWORD:?"), "no default admin password"


def test_the_sandbox_is_an_optional_profile_reached_as_sandbox(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert service.get("profiles", []) == (["sandbox"] if name == "sandbox" else []), name
    sandbox = services["sandbox"]
    command = " ".join(sandbox["command"])
    assert "simulate --host 0.0.0.0 --basware-port 8081 --ifs-port 8082" in command
    assert "--allow-external-webhooks" in command, "the api-server is not on the sandbox's loopback"
    assert sandbox["build"]["target"] == "sandbox"


def test_images_are_built_with_the_package_and_nothing_installs_at_start(services: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        assert services[name]["build"] == {"context": ".", "target": "product"}, name
        assert "_PIP_ADDITIONAL_REQUIREMENTS" not in services[name]["environment"], name
    for name, service in services.items():
        text = json.dumps([service.get("command"), service.get("entrypoint")])
        assert "pip install" not in text, f"{name} installs at container start"


def test_dockerfile_installs_the_package_with_the_pinned_constraints() -> None:
    dockerfile = DOCKERFILE.read_text()
    pinned = re.search(r"^apache-airflow==(\S+)$", (ROOT / "constraints.txt").read_text(), re.M)
    assert pinned, "constraints.txt pins apache-airflow"
    assert f"ARG AIRFLOW_VERSION={pinned.group(1)}" in dockerfile, "the image's Airflow is the pinned one"
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", dockerfile, re.M)
    assert stages == [("apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}", "product"),
                      ("product", "sandbox")]
    installs = [line for line in dockerfile.splitlines() if line.startswith("RUN pip install")]
    assert len(installs) == 2 and all("-c " in line and "constraints.txt" in line for line in installs), installs
    assert "COPY --chown=airflow:0 constraints.txt" in dockerfile
    for source, target in (("dags/", "/opt/airflow/dags/"), ("plugins/", "/opt/airflow/plugins/"),
                           ("include/ml_connector/demo_tenants.yaml",
                            "/opt/airflow/config/ml_connector_tenants.yaml")):
        assert f"COPY --chown=airflow:0 {source} {target}" in dockerfile
        assert (ROOT / source).exists(), source
    # The sandbox stays out of the product image.
    product_stage = dockerfile.split("FROM product AS sandbox")[0]
    assert not [line for line in product_stage.splitlines() if line.startswith("COPY") and " sandbox" in line]


def test_secrets_come_from_the_environment_and_env_example_names_them(compose: dict[str, Any]) -> None:
    env = compose["services"]["airflow-apiserver"]["environment"]
    for setting in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[setting]), f"{setting} must be required, never a default"
    required = set(re.findall(r"\$\{([A-Z_]+):\?", COMPOSE.read_text()))
    example = dotenv_values(ENV_EXAMPLE)
    assert required <= set(example), f".env.example lacks {required - set(example)}"
    assert not any(example[name] for name in required), ".env.example ships no secret values"
    assert ".env" in (ROOT / ".gitignore").read_text().split() and ".env" in (ROOT / ".dockerignore").read_text()


def test_relative_paths_of_the_compose_file_exist(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            # Defaults filled in first: `${VAR:-./path}` has a colon of its own.
            source = re.sub(r"\$\{[A-Z_]+:-([^}]+)\}", r"\1", volume).split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"


def compose_config(services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The tenants configuration the stack's containers load: the file compose mounts, read with the
    environment compose gives them (its defaults, as `docker compose config` would fill them in)."""
    service = services["airflow-worker"]
    mount = next(v for v in service["volumes"] if v.endswith(":/opt/airflow/config/ml_connector_tenants.yaml:ro"))
    source = re.sub(r"\$\{[A-Z_]+:-([^}]+)\}", r"\1", mount).split(":")[0]
    regions = re.sub(r"\$\{[A-Z_]+:-([^}]+)\}", r"\1", service["environment"]["ML_CONNECTOR_REGIONS"])
    monkeypatch.setenv("ML_CONNECTOR_REGIONS", regions)
    return load_config(ROOT / source)


def test_compose_uses_the_demo_tenants_file_with_the_sandbox_as_a_compose_host(
        services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    demo = load_config(DEMO_TENANTS)
    config = compose_config(services, monkeypatch)
    assert config.tenants == demo.tenants
    assert config.region_map() == {**demo.region_map(), "sandbox": "http://sandbox"}
    assert not (ROOT / "deploy" / "tenants.compose.yaml").exists(), "one tenants file, not a copy that drifts"


def test_env_example_connections_work_with_the_compose_tenants_file(
        services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo tenant's two AIRFLOW_CONN_* values, parsed as Airflow parses them, give sandbox:8081 and
    sandbox:8082, and the Basware host passes the region check of the compose tenants file."""
    from airflow.models import Connection

    config = compose_config(services, monkeypatch)
    tenant = config.tenant("demo")
    example = dotenv_values(ENV_EXAMPLE)

    def conn(conn_id: str) -> Any:
        return Connection.from_json(example[f"AIRFLOW_CONN_{conn_id.upper()}"], conn_id=conn_id)

    basware = BaswareHook.parse_connection(conn(tenant.basware_conn_id))
    assert basware.region == tenant.basware_region
    assert basware.resolved_base_url(config.region_map()) == "http://sandbox:8081"
    ifs = IfsCloudHook.parse_connection(conn(tenant.ifs_conn_id))
    assert ifs.host == "http://sandbox:8082" and set(ifs.companies) == set(tenant.companies.values())


def test_state_store_is_its_own_postgres_database(services: dict[str, Any]) -> None:
    from airflow.models import Connection

    uri = services["airflow-worker"]["environment"]["AIRFLOW_CONN_ML_CONNECTOR_STATE"]
    url = sqlalchemy_url(Connection(conn_id="ml_connector_state", uri=uri.replace("${POSTGRES_PASSWORD:-airflow}",
                                                                                   "airflow")))
    assert url == "postgresql+psycopg2://airflow:airflow@postgres:5432/ml_connector"
    init_sql = (ROOT / "deploy" / "postgres-init" / "01-ml-connector-state.sql").read_text()
    assert "CREATE DATABASE ml_connector" in init_sql
