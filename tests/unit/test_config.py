from __future__ import annotations

from pathlib import Path

import pytest

from ml_connector.config import ConfigError, load_config, validate_region_host
from mlc_sandbox.seed import BASWARE_DIMENSION_FIELDS, build_dataset


def test_bundled_demo_tenant_matches_the_sandbox_code_part_layouts() -> None:
    tenant = load_config().tenant("demo")
    data = build_dataset()
    for company in data.companies:
        assert tenant.ifs_company(company.basware_company_code) == company.ifs_company
        mapping = tenant.dimensions[company.ifs_company]
        for dimension, field in BASWARE_DIMENSION_FIELDS.items():
            assert mapping[field] == company.code_part_for(dimension)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tenants.yaml"
    path.write_text(text)
    return path


GOOD = """
tenants:
  - tenant_id: acme
    ifs_conn_id: ifs
    basware_conn_id: bw
    basware_region: eu
    companies: {US10: "10"}
"""


def test_invalid_field_names_file_tenant_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace('companies: {US10: "10"}',
                                         'companies: {US10: "10"}\n    dimensions: {"10": {costCenter: B}}'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and "tenant 'acme'" in message and "dimensions" in message
    assert "costCenter" in message


def test_unknown_region_is_refused_naming_the_region(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tenant 'acme'.*unknown Basware region 'mars'"):
        load_config(_write(tmp_path, GOOD.replace("basware_region: eu", "basware_region: mars")))


def test_unknown_keys_and_bad_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="compnies"):
        load_config(_write(tmp_path, GOOD + "    compnies: {}\n"))
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(_write(tmp_path, "tenants: [\n"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_duplicate_tenants_and_code_part_clashes_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unique"):
        load_config(_write(tmp_path, GOOD + GOOD.split("tenants:\n")[1]))
    clash = GOOD.replace('companies: {US10: "10"}',
                         'companies: {US10: "10"}\n    dimensions: {"10": {costCenterCode: B, plant: B}}')
    with pytest.raises(ConfigError, match="same code part"):
        load_config(_write(tmp_path, clash))


def test_region_host_validation() -> None:
    regions = {"eu": "https://api.basware.com", "sandbox": "http://127.0.0.1"}
    validate_region_host("eu", "https://api.basware.com/", regions)
    validate_region_host("sandbox", "http://127.0.0.1:43117", regions)
    with pytest.raises(ConfigError, match=r"'https://test-api.basware.com' does not belong to region 'eu'"):
        validate_region_host("eu", "https://test-api.basware.com", regions)
    with pytest.raises(ConfigError, match="unknown Basware region 'us'"):
        validate_region_host("us", "https://api.basware.com", regions)


def test_regions_from_the_environment_go_over_the_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """One tenants file for the demo on loopback and in compose: $ML_CONNECTOR_REGIONS moves a region."""
    from ml_connector.config import DEFAULT_CONFIG, load_config

    assert load_config(DEFAULT_CONFIG).region_map()["sandbox"] == "http://127.0.0.1"
    monkeypatch.setenv("ML_CONNECTOR_REGIONS", " sandbox=http://sandbox , us=https://api.us.example")
    regions = load_config(DEFAULT_CONFIG).region_map()
    assert (regions["sandbox"], regions["us"], regions["eu"]) == ("http://sandbox", "https://api.us.example",
                                                                  "https://api.basware.com")
    monkeypatch.setenv("ML_CONNECTOR_REGIONS", "sandbox")
    with pytest.raises(ConfigError, match=r"\$ML_CONNECTOR_REGIONS: 'sandbox' is not region=URL"):
        load_config(DEFAULT_CONFIG)
