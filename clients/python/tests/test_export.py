"""The bulk export: the same rows as GraphQL, the same table in every format, files streamed to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pandas as pd
import pytest

import driftql

SELECTION: Dict[str, Any] = {
    "lab": "mila-demo",
    "topics": ["abortion", "immigration"],
    "stances": ["support", "oppose"],
    "confidence": 0.9,
}
GQL_SELECTION = {
    "runFilter": {"lab": ["mila-demo"]},
    "topics": ["abortion", "immigration"],
    "stances": ["SUPPORT", "OPPOSE"],
    "confidence": 0.9,
}


def _frame(rows: List[Dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows).reset_index(drop=True)


def test_trajectories_export_equals_graphql_row_for_row(client: driftql.Client) -> None:
    data = client.query(
        """query($runFilter: RunFilter, $topics: [String!], $stances: [Stance!], $confidence: Float!, $maxPoints: Int) {
          trajectories(runFilter: $runFilter, topics: $topics, stances: $stances, confidence: $confidence,
                       maxPoints: $maxPoints) {
            runId runKey topic stance points { stage stageKind step globalStep progress value ciLow ciHigh n } } }""",
        {**GQL_SELECTION, "maxPoints": 6},
    )
    want = _frame(
        [
            {
                "run_id": t["runId"],
                "run_key": t["runKey"],
                "topic": t["topic"],
                "stance": t["stance"],
                "stage": p["stage"],
                "stage_kind": p["stageKind"],
                "step": p["step"],
                "global_step": p["globalStep"],
                "progress": p["progress"],
                "value": p["value"],
                "ci_low": p["ciLow"],
                "ci_high": p["ciHigh"],
                "n": p["n"],
            }
            for t in data["trajectories"]
            for p in t["points"]
        ]
    )
    got = client.trajectories(max_points=6, **SELECTION)
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(
        got[list(want.columns)].reset_index(drop=True), want, check_dtype=False, check_exact=True
    )


def test_stage_attribution_export_equals_graphql_row_for_row(client: driftql.Client) -> None:
    data = client.query(
        """query($runFilter: RunFilter, $topics: [String!], $stances: [Stance!], $confidence: Float!) {
          stageAttribution(runFilter: $runFilter, topics: $topics, stances: $stances, confidence: $confidence) {
            runId runKey topic stance totalDelta
            stages { stage stageKind delta netShare pathLength pathShare distributionShift } } }""",
        GQL_SELECTION,
    )
    want = _frame(
        [
            {
                "run_id": a["runId"],
                "run_key": a["runKey"],
                "topic": a["topic"],
                "stance": a["stance"],
                "total_delta": a["totalDelta"],
                "stage": s["stage"],
                "stage_kind": s["stageKind"],
                "delta": s["delta"],
                "net_share": s["netShare"],
                "path_length": s["pathLength"],
                "path_share": s["pathShare"],
                "distribution_shift": s["distributionShift"],
            }
            for a in data["stageAttribution"]
            for s in a["stages"]
        ]
    )
    got = client.stage_attribution(**SELECTION)
    assert len(got) == len(want) > 0
    pd.testing.assert_frame_equal(
        got[list(want.columns)].reset_index(drop=True), want, check_dtype=False, check_exact=True
    )


@pytest.mark.parametrize("table", ["trajectories", "drift-metrics", "stage-attribution"])
def test_csv_and_parquet_agree_for_analytic_tables(client: driftql.Client, table: str) -> None:
    parquet = client.export(table, **SELECTION)
    csv = client.export(table, "csv", **SELECTION)
    assert len(parquet) > 0
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)


@pytest.mark.parametrize("table, keys", [("observations", ["prompt", "generation"]), ("prompt-means", ["prompt"])])
def test_csv_and_parquet_agree_for_raw_tables(client: driftql.Client, table: str, keys: List[str]) -> None:
    # Raw tables come in stored order; sorted here so the comparison does not depend on it.
    by = ["run_id", "stage", "step", "topic", *keys]
    parquet = client.export(table, run_ids=["1", "7"], topics="abortion").sort_values(by, ignore_index=True)
    csv = client.export(table, "csv", run_ids=["1", "7"], topics="abortion").sort_values(by, ignore_index=True)
    assert len(parquet) > 0 and list(parquet.columns[:11]) == driftql.RUN_COLUMNS
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)


def test_export_to_a_path_streams_the_file(client: driftql.Client, tmp_path: Path) -> None:
    target = tmp_path / "traj.parquet"
    written = client.export("trajectories", path=str(target), run_ids="1")
    assert written == target and target.stat().st_size > 0
    assert not (tmp_path / "traj.parquet.part").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(target), client.trajectories(run_ids="1"))
    csv = client.export("drift_metrics", "csv", tmp_path / "drift.csv", run_ids="1", endpoint="EXTREMUM")
    assert csv.read_text().splitlines()[0].startswith("run_id,run_key,lab,dataset,dataset_version,model,")


def test_a_refused_export_leaves_no_file(client: driftql.Client, tmp_path: Path) -> None:
    target = tmp_path / "nope.parquet"
    with pytest.raises(driftql.BadUserInput, match="unknown table"):
        client.export("trajectory", path=target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("table", ["trajectories", "drift-metrics", "stage-attribution", "observations"])
def test_arrow_gives_the_same_frame_as_parquet(client: driftql.Client, table: str) -> None:
    arrow = client.export(table, "arrow", run_ids=["1", "2"], topics="abortion")
    parquet = client.export(table, "parquet", run_ids=["1", "2"], topics="abortion")
    assert len(arrow) > 0
    if table == "observations":  # raw tables come in no fixed order
        keys = list(parquet.columns)
        arrow, parquet = (f.sort_values(keys).reset_index(drop=True) for f in (arrow, parquet))
    pd.testing.assert_frame_equal(arrow, parquet)
