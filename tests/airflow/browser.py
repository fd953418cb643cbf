"""Headless Chromium from Debian's packages, driven by selenium, for tests of pages in the Airflow UI.

Installed by the test itself where that is expected (CI=true, or MLC_INSTALL_BROWSER=1, as root with
apt-get); elsewhere a test that needs it is skipped with the command that would install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver"
# What the issue prescribes: no sandbox (root in CI), no GPU, and nothing that reaches beyond loopback.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1440,1400")


def artifacts_dir() -> Path:
    """Where screenshots are kept: $MLC_TEST_ARTIFACTS, else tests/artifacts (ignored by git)."""
    path = Path(os.environ.get("MLC_TEST_ARTIFACTS") or REPO / "tests" / "artifacts")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _installed() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def ensure_chromium() -> None:
    if _installed():
        return
    wanted = os.environ.get("CI") == "true" or os.environ.get("MLC_INSTALL_BROWSER") == "1"
    if not wanted:
        pytest.skip(f"Chromium is not installed; `{INSTALL}` as root (or set MLC_INSTALL_BROWSER=1) to run this test")
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(f"Chromium is missing and cannot be installed here (needs root and apt-get): {INSTALL}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
        done = subprocess.run(step, capture_output=True, text=True, env=env, timeout=600, check=False)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(step)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


@contextmanager
def chromium() -> Iterator[Any]:
    """A selenium WebDriver on a fresh headless Chromium profile, quit afterwards."""
    ensure_chromium()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("selenium is not installed (it is in the test extra: pip install -e '.[test]')")
    profile = tempfile.mkdtemp(prefix="mlc-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
