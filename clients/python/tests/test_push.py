"""Uploading bundles: a valid one lands and is queried, a broken one raises with its located problems.

The bundles are the conformance bundle under another identity (lab ``py-lab``, private, so the
anonymous clients of the other tests still see the conformance data only).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import driftql


def copy_bundle(conformance_dir: Path, target: Path, name: str, **dataset: Any) -> Path:
    """The conformance bundle as lab py-lab's private dataset ``name``."""
    shutil.copytree(conformance_dir, target, ignore=shutil.ignore_patterns("expected"))
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["dataset"].update({"lab": "py-lab", "name": name, "visibility": "private", **dataset})
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target


def set_cell(csv: Path, line: int, column: str, value: str) -> None:
    """Sets one cell of a CSV file (the fixture has no quoting); ``line`` counts the header as 1."""
    lines = csv.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    csv.write_text("\n".join(lines) + "\n")


@pytest.fixture
def writer(url: str, writer_token: str) -> Iterator[driftql.Client]:
    with driftql.Client(url, writer_token) as c:
        yield c


def _magnitudes(c: driftql.Client, **selection: Any) -> pd.Series:
    d = c.drift_metrics(topics="abortion", **selection)
    return d.set_index(["run_key", "topic", "stance", "stage"]).magnitude.sort_index()


def test_push_lands_and_the_data_shows_up(
    writer: driftql.Client, client: driftql.Client, conformance_dir: Path, tmp_path: Path
) -> None:
    bundle = copy_bundle(conformance_dir, tmp_path / "b", "pushed")
    job = writer.push(bundle)
    assert job["status"] == "succeeded" and job["problems"] == []
    assert (
        job["result"]["status"] == "ingested" and job["result"]["runs"] == 24 and job["result"]["observations"] == 7776
    )
    assert (job["lab"], job["dataset"], job["version"]) == ("py-lab", "pushed", "1")
    runs = writer.runs(lab="py-lab", dataset="pushed")
    assert len(runs) == 24 and set(runs.lab) == {"py-lab"}
    # The same content as the conformance bundle: the same numbers.
    pd.testing.assert_series_equal(
        _magnitudes(writer, lab="py-lab", dataset="pushed"), _magnitudes(client, lab="mila-demo")
    )
    # Private: the anonymous client does not see it.
    assert set(client.runs().lab) == {"mila-demo"}
    # The same bundle again is a no-op.
    assert writer.push(bundle)["result"]["status"] == "unchanged"


def test_dry_run_writes_nothing(writer: driftql.Client, conformance_dir: Path, tmp_path: Path) -> None:
    job = writer.push(copy_bundle(conformance_dir, tmp_path / "b", "dry"), dry_run=True)
    assert job["status"] == "succeeded" and job["dryRun"] is True and job["result"]["status"] == "validated"
    with pytest.raises(driftql.BadUserInput, match="unknown dataset"):
        writer.runs(dataset="dry")


def test_broken_bundle_raises_with_its_problems(writer: driftql.Client, conformance_dir: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(conformance_dir, tmp_path / "b", "broken")
    set_cell(bundle / "observations.csv", 3, "p_support", "lots")
    set_cell(bundle / "observations.csv", 5, "run_id", "nobody")
    with pytest.raises(driftql.IngestFailed) as e:
        writer.push(bundle)
    problems = e.value.problems
    assert e.value.job["status"] == "failed" and e.value.code == "INGEST_FAILED"
    located = {(p["file"], p.get("line"), p.get("field")) for p in problems}
    assert ("observations.csv", 3, "p_support") in located
    assert any(p["file"] == "observations.csv" and p.get("line") == 5 and "nobody" in p["message"] for p in problems)
    assert "observations.csv, line 3, field p_support" in str(e.value)
    with pytest.raises(driftql.BadUserInput, match="unknown dataset"):
        writer.runs(dataset="broken")


def test_other_content_under_a_loaded_identity_needs_replace(
    writer: driftql.Client, conformance_dir: Path, tmp_path: Path
) -> None:
    bundle = copy_bundle(conformance_dir, tmp_path / "b", "versioned")
    assert writer.push(bundle)["result"]["status"] == "ingested"
    set_cell(bundle / "observations.csv", 2, "p_support", "0.484024")
    set_cell(bundle / "observations.csv", 2, "p_oppose", "0.408535")
    with pytest.raises(driftql.IngestFailed, match="replace"):
        writer.push(bundle)
    assert writer.push(bundle, replace=True)["result"]["status"] == "replaced"


def test_parquet_bundle(writer: driftql.Client, client: driftql.Client, conformance_dir: Path, tmp_path: Path) -> None:
    bundle = copy_bundle(conformance_dir, tmp_path / "b", "parquet")
    manifest = json.loads((bundle / "manifest.json").read_text())
    for f in manifest["files"]:
        csv = bundle / f["path"]
        pq.write_table(pacsv.read_csv(csv), csv.with_suffix(".parquet"))
        csv.unlink()
        f.update(path=csv.with_suffix(".parquet").name, format="parquet")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    job = writer.push(bundle, wait=False)
    assert job["status"] in ("queued", "running", "succeeded")
    done = writer.wait_for_job(job["id"], timeout=120)
    assert done["result"]["observations"] == 7776
    pd.testing.assert_series_equal(
        _magnitudes(writer, lab="py-lab", dataset="parquet"), _magnitudes(client, lab="mila-demo")
    )


def test_a_reader_key_may_not_push(url: str, reader_token: str, conformance_dir: Path, tmp_path: Path) -> None:
    with driftql.Client(url, reader_token) as reader:
        with pytest.raises(driftql.Forbidden) as e:
            reader.push(copy_bundle(conformance_dir, tmp_path / "b", "readers"))
    assert e.value.status == 403


def test_a_folder_without_manifest_is_refused_before_sending(writer: driftql.Client, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        writer.push(tmp_path)
