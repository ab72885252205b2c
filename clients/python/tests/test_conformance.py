"""The numbers equal the conformance fixture's independently computed values (expected/*.json).

The client computes nothing: these compare the server's answers, as the client hands them over,
with the fixture. Where the fixture has per-run values and the server summarises runs, the test
takes the mean and sd of the fixture's values itself.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import driftql

TOL = 1e-9
STANCES = ("support", "neutral", "oppose")
#: Student-t quantile t_{0.975, 7} (R: qt(0.975, 7); scipy.stats.t.ppf(0.975, 7)), for 95% intervals over 8 runs.
T_975_7 = 2.364624251592784


def close(got: Optional[float], want: Optional[float], tol: float = TOL) -> bool:
    if want is None:
        return got is None or (isinstance(got, float) and math.isnan(got))
    return got is not None and abs(got - want) <= tol * max(1.0, abs(want))


def test_trajectory_values_half_widths_and_n(client: driftql.Client, expected: Dict[str, Any]) -> None:
    t = client.trajectories()
    # A later stage starts with a point carrying the previous stage's last value; its own
    # checkpoint at the same step comes after it, so the last point of each key is the checkpoint.
    own = t.drop_duplicates(["run_key", "stage", "step", "topic", "stance"], keep="last")
    own = own.set_index(["run_key", "stage", "step", "topic", "stance"])
    checked = 0
    for v in expected["values"]:
        for stance in STANCES:
            row = own.loc[(v["run"], v["stage"], v["step"], v["topic"], stance.upper())]
            want, half = v[stance], v[f"{stance}_half"]
            assert close(row.value, want), (v, stance)
            assert close(row.ci_low, want - half) and close(row.ci_high, want + half), (v, stance)
            assert row.n == v["n"]
            checked += 1
    assert checked == len(expected["values"]) * 3 == 2592


def test_drift_metrics_last_and_extremum(client: driftql.Client, expected: Dict[str, Any]) -> None:
    last = client.drift_metrics().set_index(["run_key", "topic", "stance", "stage"])
    extremum = client.drift_metrics(endpoint="extremum").set_index(["run_key", "topic", "stance", "stage"])
    assert len(last) == len(extremum) == len(expected["drift"])
    for d in expected["drift"]:
        key = (d["run"], d["topic"], d["stance"].upper(), d["stage"])
        row = last.loc[key]
        for col, field in (
            ("magnitude", "magnitude"),
            ("drift_time", "driftTime"),
            ("start_value", "startValue"),
            ("end_value", "endValue"),
            ("extremum_value", "extremumValue"),
        ):
            assert close(row[col], d[field]), (key, col)
        assert row.extremum_step == d["extremumStep"]
        assert close(extremum.loc[key].magnitude, d["magnitudeExtremum"]), key


def test_stage_attribution(client: driftql.Client, expected: Dict[str, Any]) -> None:
    a = client.stage_attribution().set_index(["run_key", "topic", "stance", "stage"])
    assert len(a) == sum(len(x["stages"]) for x in expected["attribution"])
    for x in expected["attribution"]:
        for s in x["stages"]:
            key = (x["run"], x["topic"], x["stance"].upper(), s["stage"])
            row = a.loc[key]
            assert close(row.total_delta, x["totalDelta"]), key
            for col, field in (
                ("delta", "delta"),
                ("net_share", "netShare"),
                ("path_length", "pathLength"),
                ("path_share", "pathShare"),
            ):
                assert close(row[col], s[field]), (key, col)


@pytest.mark.parametrize("stance", STANCES)
@pytest.mark.parametrize("outcome", ["magnitude", "driftTime", "endValue"])
@pytest.mark.parametrize("model", ["interaction", "main"])
@pytest.mark.parametrize("ss", [1, 2, 3])
def test_effect_decomposition_matches_r(
    client: driftql.Client, conformance_dir: Path, stance: str, outcome: str, model: str, ss: int
) -> None:
    r = json.loads((conformance_dir / "expected" / f"anova-{stance}-{outcome}.json").read_text())[model]
    outcomes = {"magnitude": "DRIFT_MAGNITUDE", "driftTime": "DRIFT_TIME", "endValue": "END_VALUE"}
    e = client.effect_decomposition(
        outcomes[outcome], stance, ["ALGORITHM", "DATASET"], interactions=model == "interaction", sum_of_squares=ss
    )
    want = r[f"type{ss}"]
    assert e.n == r["n"]
    assert list(e.anova.term) == [w["term"].upper() if w["term"] != "Residuals" else "Residuals" for w in want]
    for got, w in zip(e.anova.itertuples(), want):
        assert got.df == w["df"]
        assert close(got.sum_sq, w["sumSq"], 1e-8), (got.term, "sumSq")
        if w["term"] != "Residuals":
            assert close(got.f_value, w["fValue"], 1e-8) and close(got.p_value, w["pValue"], 1e-8), got.term


def test_effect_decomposition_outcomes(client: driftql.Client, expected: Dict[str, Any]) -> None:
    e = client.effect_decomposition("DRIFT_TIME", "NEUTRAL")
    want = {o["run"]: o["driftTime"] for o in expected["outcomes"] if o["stance"] == "neutral"}
    got = dict(zip(e.observations.run_key, e.observations.y))
    assert got.keys() == want.keys()
    assert all(close(got[k], want[k]) for k in want)


def _per_run(expected: Dict[str, Any], algorithm: str) -> List[Dict[str, Any]]:
    runs = [o["run"] for o in expected["outcomes"] if o["stance"] == "support" and o["algorithm"] == algorithm]
    return [
        a for a in expected["attribution"] if a["run"] in runs and a["topic"] == "abortion" and a["stance"] == "support"
    ]


def test_attribution_summary_means_and_intervals(client: driftql.Client, expected: Dict[str, Any]) -> None:
    s = client.attribution_summary(group_by="ALGORITHM", topics="abortion", stances="support")
    assert list(s.label.drop_duplicates()) == ["ALGORITHM=dpo", "ALGORITHM=ppo", "ALGORITHM=simpo"]
    for row in s.itertuples():
        per = _per_run(expected, row.algorithm)
        stage = {"SFT": "sft", "PREFERENCE": "po"}[row.stage_kind]
        st = [next(x for x in a["stages"] if x["stage"] == stage) for a in per]
        shares = [x["netShare"] for x in st if x["netShare"] is not None]
        assert row.runs == row.stage_kind_runs == len(per) == 8
        assert row.net_share_n == len(shares) == 8
        m, sd = statistics.fmean(shares), statistics.stdev(shares)
        assert close(row.net_share_mean, m, 1e-12) and close(row.net_share_sd, sd, 1e-12)
        assert close(row.net_share_se, sd / math.sqrt(8), 1e-12)
        half = T_975_7 * sd / math.sqrt(8)
        assert close(row.net_share_ci_low, m - half, 1e-9) and close(row.net_share_ci_high, m + half, 1e-9)
        assert close(row.delta_mean, statistics.fmean(x["delta"] for x in st), 1e-12)
        assert close(row.abs_delta_mean, statistics.fmean(abs(x["delta"]) for x in st), 1e-12)
        assert close(row.path_share_mean, statistics.fmean(x["pathShare"] for x in st), 1e-12)


def test_grouped_trajectories_end_point_and_axis(client: driftql.Client, expected: Dict[str, Any]) -> None:
    g = client.grouped_trajectories(["ALGORITHM", "DATASET"], topics="abortion", stances="SUPPORT", grid_points=5)
    assert g.label.nunique() == 6
    group = g[(g.algorithm == "dpo") & (g.dataset == "synth-support")]
    runs = [
        o["run"]
        for o in expected["outcomes"]
        if o["stance"] == "support" and o["algorithm"] == "dpo" and o["dataset"] == "synth-support"
    ]
    assert set(group.runs) == {len(runs)} == {4}
    end = group[(group.stage == "po") & (group.progress == 1)].iloc[0]
    at200 = [
        v["support"]
        for v in expected["values"]
        if v["run"] in runs and v["stage"] == "po" and v["step"] == 200 and v["topic"] == "abortion"
    ]
    assert end.n == 4 and close(end["mean"], statistics.fmean(at200), 1e-12)
    assert list(group.drop_duplicates("slot").stage) == ["base", "sft", "po"]
    assert list(group.global_progress) == sorted(group.global_progress) and group.global_progress.max() == 3
