"""Every method's answer has the documented shape and columns (conformance data: 24 runs, 3 topics)."""

from __future__ import annotations

import json
from typing import Any, Dict

import pandas as pd
from scripted import ScriptedServer

import driftql
from driftql import RUN_COLUMNS

TOPICS = ["abortion", "climate change", "immigration"]
STANCES = ["SUPPORT", "NEUTRAL", "OPPOSE"]


def test_runs_one_row_per_run_with_the_export_run_columns(client: driftql.Client, manifest: Dict[str, Any]) -> None:
    runs = client.runs()
    assert list(runs.columns) == RUN_COLUMNS + ["dataset_id", "latest", "seed", "metadata", "stages"]
    assert sorted(runs.run_key) == sorted(r["id"] for r in manifest["runs"])
    assert runs.run_id.is_unique
    first = runs.set_index("run_key").loc["llama-3-3b.alpaca.dpo.synth-support.s1"]
    assert (first.lab, first.dataset, first.dataset_version, first.model) == (
        "mila-demo",
        "conformance",
        "1",
        "llama-3-3b",
    )
    assert (first.sft_dataset, first.preference_algorithm, first.preference_dataset) == (
        "alpaca",
        "dpo",
        "synth-support",
    )
    assert first.stage_algorithms == ",sft,dpo"
    assert [s["name"] for s in first.stages] == ["base", "sft", "po"]
    assert first.stages[2]["total_steps"] == 200 and first.stages[2]["hyperparameters"] == {"beta": 0.1}
    # The run columns mean what the export's mean.
    exported = client.drift_metrics(topics="abortion", stances="support")[RUN_COLUMNS].drop_duplicates()
    merged = runs[RUN_COLUMNS].merge(exported, on="run_id", suffixes=("", "_export"))
    assert len(merged) == 24
    for col in RUN_COLUMNS[1:]:
        assert (merged[col].fillna("") == merged[f"{col}_export"].fillna("")).all(), col


def test_runs_filters_and_pages(client: driftql.Client) -> None:
    assert len(client.runs(algorithm="dpo", stage_dataset="synth-support")) == 4
    assert len(client.runs(algorithm=["dpo", "ppo"])) == 16
    assert len(client.runs(stage_kind="preference", versions="ALL")) == 24


def test_trajectories_long_format(client: driftql.Client) -> None:
    t = client.trajectories(topics="abortion", stances="support", max_points=4)
    assert list(t.columns) == RUN_COLUMNS + [
        "topic",
        "stance",
        "stage",
        "stage_kind",
        "step",
        "global_step",
        "progress",
        "value",
        "ci_low",
        "ci_high",
        "n",
    ]
    assert t.run_key.nunique() == 24
    assert set(t.stance) == {"SUPPORT"} and set(t.topic) == {"abortion"}
    assert t.groupby("run_id").size().max() <= 4
    assert set(t.stage_kind) <= {"BASE", "SFT", "PREFERENCE"}


def test_drift_metrics_and_stage_attribution_long_format(client: driftql.Client) -> None:
    d = client.drift_metrics(run_ids=["1", "2"], topics=TOPICS)
    assert list(d.columns) == RUN_COLUMNS + [
        "topic",
        "stance",
        "stage",
        "stage_kind",
        "magnitude",
        "drift_time",
        "start_value",
        "end_value",
        "extremum_value",
        "extremum_step",
    ]
    assert len(d) == 2 * 3 * 3 * 2  # runs × topics × stances × non-base stages
    a = client.stage_attribution(run_ids="1", stances=["support", "oppose"])
    assert list(a.columns) == RUN_COLUMNS + [
        "topic",
        "stance",
        "total_delta",
        "stage",
        "stage_kind",
        "delta",
        "net_share",
        "path_length",
        "path_share",
        "distribution_shift",
    ]
    assert len(a) == 1 * 3 * 2 * 2
    assert set(a.stage) == {"sft", "po"}


def test_attribution_summary_tidy(client: driftql.Client) -> None:
    s = client.attribution_summary(group_by=["ALGORITHM", "DATASET"], stances="support")
    assert list(s.columns[:8]) == [
        "label",
        "algorithm",
        "dataset",
        "topic",
        "stance",
        "runs",
        "stage_kind",
        "stage_kind_runs",
    ]
    for prefix in ("net_share", "path_share", "delta", "abs_delta"):
        for col in ("mean", "sd", "se", "ci_low", "ci_high", "n"):
            assert f"{prefix}_{col}" in s.columns
    assert len(s) == 6 * 3 * 1 * 2  # groups × topics × stances × kinds (SFT, PREFERENCE)
    assert not s.duplicated(["label", "topic", "stance", "stage_kind"]).any()
    one = client.attribution_summary(topics="abortion")
    assert set(one.label) == {"all runs"} and len(one) == 3 * 2


def test_grouped_trajectories_tidy(client: driftql.Client) -> None:
    g = client.grouped_trajectories("MODEL", topics=["abortion", "immigration"], stances="oppose", grid_points=7)
    assert list(g.columns) == [
        "label",
        "model",
        "topic",
        "stance",
        "runs",
        "slot",
        "stage",
        "stage_names",
        "stage_kind",
        "occurrence_from_end",
        "slot_runs",
        "progress",
        "global_progress",
        "mean",
        "sd",
        "se",
        "ci_low",
        "ci_high",
        "n",
    ]
    assert len(g) == 1 * 2 * 1 * 3 * 7  # groups × topics × stances × slots × grid points
    assert (g.global_progress == g.slot + g.progress).all()
    assert list(g.stage_kind.drop_duplicates()) == ["BASE", "SFT", "PREFERENCE"]


def test_effect_decomposition_result(client: driftql.Client) -> None:
    e = client.effect_decomposition(
        "drift_magnitude", "support", ["algorithm", "dataset"], pairwise=("ALGORITHM", "DATASET")
    )
    assert isinstance(e, driftql.EffectDecomposition)
    assert (e.n, e.outcome, e.stance, e.stage_kind, e.sum_of_squares) == (
        24,
        "DRIFT_MAGNITUDE",
        "SUPPORT",
        "PREFERENCE",
        "TYPE_II",
    )
    assert e.factors == ["ALGORITHM", "DATASET"] and e.note is None
    assert list(e.anova.term) == ["ALGORITHM", "DATASET", "ALGORITHM:DATASET", "Residuals"]
    assert list(e.anova.columns) == [
        "term",
        "df",
        "sum_sq",
        "mean_sq",
        "f_value",
        "p_value",
        "eta_sq",
        "partial_eta_sq",
        "omega_sq",
    ]
    assert list(e.cells.columns) == ["algorithm", "dataset", "count", "mean", "sd", "se", "ci_low", "ci_high"]
    assert len(e.cells) == 6 and e.cells["count"].sum() == 24
    assert list(e.marginal_means.columns) == ["factor", "level", "count", "mean", "sd", "se", "ci_low", "ci_high"]
    assert len(e.marginal_means) == 3 + 2
    assert len(e.pairwise) == 2 * 3 and set(e.pairwise.within) == {"synth-support", "ultrafeedback"}
    assert {"level_a", "level_b", "difference", "p_adjusted"} <= set(e.pairwise.columns)
    assert len(e.observations) == 24 and list(e.observations.columns) == ["run_id", "run_key", "topic", "y"]
    assert isinstance(e.excluded_runs, pd.DataFrame) and list(e.excluded_runs.columns) == [
        "run_id",
        "run_key",
        "reason",
    ]
    main = client.effect_decomposition(
        "END_VALUE", "OPPOSE", "ALGORITHM", interactions=False, sum_of_squares=1, topics="abortion"
    )
    assert main.sum_of_squares == "TYPE_I" and list(main.anova.term) == ["ALGORITHM", "Residuals"]
    assert main.pairwise.empty


def test_query_returns_data(client: driftql.Client) -> None:
    data = client.query(
        "query($lab: String!) { runs(filter: {lab: [$lab]}, first: 1) { totalCount } }", {"lab": "mila-demo"}
    )
    assert data == {"runs": {"totalCount": 24}}


def _run_node(i: int) -> Dict[str, Any]:
    stages = [
        {"name": "base", "kind": "BASE", "ordinal": 0, "algorithm": None, "dataset": None},
        {"name": "po", "kind": "PREFERENCE", "ordinal": 1, "algorithm": "dpo", "dataset": "uf"},
    ]
    for s in stages:
        s.update(totalSteps=None, hyperparameters=None, evaluatedSteps=[0])
    dataset = {"id": "1", "name": "d", "lab": "l", "version": "1", "latest": True}
    return {
        "id": str(i),
        "key": f"r{i}",
        "model": "m",
        "seed": None,
        "metadata": None,
        "dataset": dataset,
        "stages": stages,
    }


def test_runs_pages_through_the_connection_200_at_a_time(fake: ScriptedServer) -> None:
    # The conformance data fits in one page: a scripted server answers two.
    page1 = {"pageInfo": {"hasNextPage": True, "endCursor": "c200"}, "nodes": [_run_node(i) for i in range(200)]}
    page2 = {"pageInfo": {"hasNextPage": False, "endCursor": "c250"}, "nodes": [_run_node(i) for i in range(200, 250)]}
    fake.on("POST", "/graphql", (200, {}, {"data": {"runs": page1}}), (200, {}, {"data": {"runs": page2}}))
    with driftql.Client(fake.url) as c:
        runs = c.runs(lab="l")
    assert list(runs.run_id) == [str(i) for i in range(250)]
    assert (runs.preference_algorithm == "dpo").all() and (runs.sft_dataset.isna()).all()
    sent = [json.loads(b)["variables"] for b in fake.bodies("POST", "/graphql")]
    assert sent == [
        {"first": 200, "after": None, "filter": {"lab": ["l"]}},
        {"first": 200, "after": "c200", "filter": {"lab": ["l"]}},
    ]
