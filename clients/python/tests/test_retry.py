"""Retries: against a scripted HTTP server on a real socket (scripted.py), and a real server's rate limit."""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path
from typing import Any, List

import pyarrow as pa
import pytest
from scripted import Answer, ScriptedServer

import driftql


def too_many(seconds: int) -> Answer:
    error = {"message": f"too many requests; retry after {seconds} s", "extensions": {"code": "TOO_MANY_REQUESTS"}}
    return (429, {"Retry-After": str(seconds)}, {"errors": [error]})


UNAVAILABLE: Answer = (503, {}, {"error": {"code": "SERVICE_UNAVAILABLE", "message": "try later"}})
OK: Answer = (200, {}, {"data": {"ok": 1}})


def recording(c: driftql.Client) -> List[float]:
    """Records the client's waits instead of sleeping them."""
    waits: List[float] = []
    c._http.sleep = waits.append
    return waits


def test_429_waits_retry_after_then_succeeds(fake: ScriptedServer) -> None:
    fake.on("POST", "/graphql", too_many(1), OK)
    with driftql.Client(fake.url, max_retries=2) as c:
        started = time.monotonic()
        assert c.query("{ ok }") == {"ok": 1}
        assert time.monotonic() - started >= 1.0
    assert fake.count("POST", "/graphql") == 2


def test_503_backs_off_exponentially_with_jitter(fake: ScriptedServer) -> None:
    fake.on("POST", "/graphql", UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, OK)
    with driftql.Client(fake.url, max_retries=5) as c:
        waits = recording(c)
        assert c.query("{ ok }") == {"ok": 1}
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 0.5 * 0.5 * 2**attempt <= wait <= 0.5 * 2**attempt


def test_gives_up_after_max_retries(fake: ScriptedServer) -> None:
    fake.on("POST", "/graphql", too_many(7))
    with driftql.Client(fake.url, max_retries=3) as c:
        waits = recording(c)
        with pytest.raises(driftql.TooManyRequests) as e:
            c.query("{ ok }")
    assert e.value.status == 429 and e.value.retry_after == 7
    assert fake.count("POST", "/graphql") == 4 and len(waits) == 3 and min(waits) >= 7


def test_query_timeout_is_not_retried(fake: ScriptedServer) -> None:
    fake.on(
        "POST",
        "/graphql",
        (503, {}, {"errors": [{"message": "narrow it", "extensions": {"code": "QUERY_TIMEOUT"}}]}),
        OK,
    )
    with driftql.Client(fake.url) as c:
        recording(c)
        with pytest.raises(driftql.QueryTimeout, match="narrow it"):
            c.query("{ ok }")
    assert fake.count("POST", "/graphql") == 1


def test_a_dropped_connection_repeats_a_query_but_not_a_mutation(fake: ScriptedServer) -> None:
    fake.on("POST", "/graphql", "drop", OK)
    with driftql.Client(fake.url) as c:
        recording(c)
        assert c.query("{ ok }") == {"ok": 1}
    fake.script.clear()
    fake.seen.clear()
    fake.on("POST", "/graphql", "drop", OK)
    with driftql.Client(fake.url) as c:
        recording(c)
        with pytest.raises(driftql.ConnectionFailed):
            c.query('# creates a key\nmutation { createApiKey(lab: "x", role: READER) { key } }')
    assert fake.count("POST", "/graphql") == 1


def test_a_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with driftql.Client(f"http://127.0.0.1:{port}", max_retries=2) as c:
        waits = recording(c)
        with pytest.raises(driftql.ConnectionFailed, match="ConnectError"):
            c.runs()
    assert len(waits) == 2


def test_export_is_retried_after_503(fake: ScriptedServer) -> None:
    sink = io.BytesIO()
    table = pa.table({"run_id": ["1"], "value": [0.5]})
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    fake.on(
        "GET",
        "/api/v1/export/trajectories",
        UNAVAILABLE,
        (200, {"Content-Type": "application/vnd.apache.arrow.stream"}, sink.getvalue()),
    )
    with driftql.Client(fake.url) as c:
        recording(c)
        df = c.trajectories(run_ids="1")
    assert df.to_dict("list") == {"run_id": ["1"], "value": [0.5]}


def test_a_download_that_breaks_off_starts_again(fake: ScriptedServer, tmp_path: Path) -> None:
    fake.on(
        "GET", "/api/v1/export/observations", "truncate", (200, {"Content-Type": "text/csv"}, b"run_id,step\n7,0\n")
    )
    with driftql.Client(fake.url) as c:
        waits = recording(c)
        target = c.export("observations", "csv", tmp_path / "o.csv")
    assert target.read_text() == "run_id,step\n7,0\n" and len(waits) == 1
    assert fake.count("GET", "/api/v1/export/observations") == 2
    fake.on("GET", "/api/v1/export/prompt-means", "truncate")
    with driftql.Client(fake.url, max_retries=1) as c:
        recording(c)
        with pytest.raises(driftql.ConnectionFailed, match="broke off"):
            c.export("prompt-means", "csv", tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "p.csv.part").exists()


def _bundle(tmp_path: Path) -> Path:
    (tmp_path / "manifest.json").write_text('{"format": "drift-trace/v1", "files": [{"path": "o.csv"}]}')
    (tmp_path / "o.csv").write_text("run_id,stage\n" + "r,base\n" * 1000)
    return tmp_path


def _job(status: str, **extra: Any) -> Answer:
    return (
        200,
        {},
        {"id": "j1", "status": status, "problems": [], "progress": {"phase": status, "message": status}, **extra},
    )


def test_push_is_repeated_after_a_429_and_follows_the_job(fake: ScriptedServer, tmp_path: Path) -> None:
    fake.on("POST", "/api/v1/bundles", too_many(0), (202, {}, {"job": {"id": "j1", "status": "queued"}}))
    fake.on("GET", "/api/v1/jobs/j1", _job("running"), _job("succeeded", result={"status": "ingested"}))
    with driftql.Client(fake.url) as c:
        waits = recording(c)
        job = c.push(_bundle(tmp_path))
    assert job["status"] == "succeeded" and len(waits) == 1
    bodies = fake.bodies("POST", "/api/v1/bundles")
    assert len(bodies) == 2 and bodies[0] == bodies[1] and len(bodies[0]) > 0


def test_push_is_not_repeated_once_the_body_was_sent(fake: ScriptedServer, tmp_path: Path) -> None:
    fake.on("POST", "/api/v1/bundles", "drop", (202, {}, {"job": {"id": "j1", "status": "queued"}}))
    with driftql.Client(fake.url) as c:
        recording(c)
        with pytest.raises(driftql.ConnectionFailed):
            c.push(_bundle(tmp_path))
    assert fake.count("POST", "/api/v1/bundles") == 1


def test_a_failed_job_raises_ingest_failed_with_its_problems(fake: ScriptedServer, tmp_path: Path) -> None:
    problem = {"file": "o.csv", "line": 3, "field": "p_support", "message": '"lots" is not a number'}
    fake.on("POST", "/api/v1/bundles", (202, {}, {"job": {"id": "j1", "status": "queued"}}))
    fake.on("GET", "/api/v1/jobs/j1", _job("failed", error="bundle refused (1 problem)", problems=[problem]))
    with driftql.Client(fake.url) as c:
        with pytest.raises(driftql.IngestFailed, match="bundle refused") as e:
            c.push(_bundle(tmp_path))
    assert e.value.problems == [problem] and e.value.job["status"] == "failed"
    assert 'o.csv, line 3, field p_support: "lots" is not a number' in str(e.value)


def test_a_real_servers_rate_limit(rate_limited_url: str) -> None:
    url = rate_limited_url
    with driftql.Client(url, max_retries=0) as c:
        for _ in range(10):
            try:
                c.query("{ datasets { id } }")
            except driftql.TooManyRequests as e:
                refused = e
                break
        else:
            pytest.fail("the server never answered 429")
    assert refused.status == 429 and refused.retry_after is not None and refused.retry_after >= 1
    assert "retry after" in refused.message
    with driftql.Client(url, max_retries=2) as c:
        waits = recording(c)
        with pytest.raises(driftql.TooManyRequests):
            c.query("{ datasets { id } }")
    assert len(waits) == 2 and min(waits) >= 1
