"""Fixtures: the servers test/clients/python.test.ts starts, and the conformance fixture.

The jest wrapper sets, for the duration of the run:

- ``DRIFTQL_TEST_URL``: a server over the conformance bundle (lab ``mila-demo``);
- ``DRIFTQL_TEST_WRITER_TOKEN`` / ``DRIFTQL_TEST_READER_TOKEN``: keys of lab ``py-lab`` on it;
- ``DRIFTQL_TEST_RATE_LIMITED_URL``: an empty server allowing 3 requests a minute;
- ``DRIFTQL_TEST_DEMO_URL``: a server over the demo data (``npm start``'s).

Without them the tests that need them are skipped.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from scripted import ScriptedServer

import driftql

REPO = Path(__file__).resolve().parents[3]


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set (test/clients/python.test.ts starts the servers and sets it)")
    return value


@pytest.fixture(scope="session")
def url() -> str:
    return env("DRIFTQL_TEST_URL")


@pytest.fixture(scope="session")
def writer_token() -> str:
    return env("DRIFTQL_TEST_WRITER_TOKEN")


@pytest.fixture(scope="session")
def reader_token() -> str:
    return env("DRIFTQL_TEST_READER_TOKEN")


@pytest.fixture(scope="session")
def rate_limited_url() -> str:
    return env("DRIFTQL_TEST_RATE_LIMITED_URL")


@pytest.fixture(scope="session")
def demo_url() -> str:
    return env("DRIFTQL_TEST_DEMO_URL")


@pytest.fixture
def client(url: str) -> Iterator[driftql.Client]:
    """An anonymous client: it sees the public conformance data only."""
    with driftql.Client(url, token="") as c:
        yield c


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    return Path(os.environ.get("DRIFTQL_TEST_CONFORMANCE") or REPO / "test" / "fixtures" / "conformance")


@pytest.fixture(scope="session")
def expected(conformance_dir: Path) -> Dict[str, Any]:
    """The fixture's independently computed values (expected/metrics.json)."""
    return json.loads((conformance_dir / "expected" / "metrics.json").read_text())


@pytest.fixture(scope="session")
def manifest(conformance_dir: Path) -> Dict[str, Any]:
    return json.loads((conformance_dir / "manifest.json").read_text())


@pytest.fixture
def fake() -> Iterator[ScriptedServer]:
    """A scripted server (scripted.py) on a free loopback port."""
    server = ScriptedServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
