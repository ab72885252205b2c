"""The shared selection keywords, parsed without a server."""

from __future__ import annotations

import pytest

import driftql
from driftql._selection import parse_selection


def test_maps_python_names_to_the_api_names() -> None:
    sel = parse_selection(
        {
            "run_ids": [1, "2"],
            "topics": "abortion",
            "stances": ["support", "Oppose"],
            "confidence": 0.9,
            "lab": "mila-demo",
            "stage_dataset": ["synth-support", "synth-oppose"],
            "stage_kind": "preference",
            "dataset_version": "1",
            "versions": "all",
            "model": None,
        },
        where="test",
    )
    assert sel.graphql() == {
        "runIds": ["1", "2"],
        "runFilter": {
            "lab": ["mila-demo"],
            "stageDataset": ["synth-support", "synth-oppose"],
            "stageKind": ["PREFERENCE"],
            "datasetVersion": ["1"],
            "versions": "ALL",
        },
        "topics": ["abortion"],
        "stances": ["SUPPORT", "OPPOSE"],
        "confidence": 0.9,
    }
    # A list is the parameter repeated on the export endpoint.
    assert sel.query_params() == [
        ("runIds", "1"),
        ("runIds", "2"),
        ("topics", "abortion"),
        ("stances", "SUPPORT"),
        ("stances", "OPPOSE"),
        ("confidence", "0.9"),
        ("lab", "mila-demo"),
        ("stageDataset", "synth-support"),
        ("stageDataset", "synth-oppose"),
        ("stageKind", "PREFERENCE"),
        ("datasetVersion", "1"),
        ("versions", "ALL"),
    ]


def test_leaves_out_what_was_not_given() -> None:
    assert parse_selection({}, where="test").graphql() == {}
    assert parse_selection({"lab": None}, where="test").query_params() == []


def test_unknown_keywords_raise_type_error_naming_them() -> None:
    with pytest.raises(TypeError, match=r"'algorithms', 'topic'"):
        parse_selection({"topic": "x", "algorithms": "dpo"}, where="trajectories")
    with pytest.raises(TypeError, match=r"runs\(\) got unexpected keyword argument 'topics'"):
        parse_selection({"topics": "x"}, where="runs", only_run_filter=True)
    with pytest.raises(TypeError, match="'stances'"):
        parse_selection({"stances": "support"}, where="effect_decomposition", stances=False)


def test_bad_value_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match="lab takes"):
        parse_selection({"lab": {"a": 1}}, where="test")
    with pytest.raises(TypeError, match="confidence takes a number"):
        parse_selection({"confidence": "high"}, where="test")


def test_methods_check_keywords_before_any_request() -> None:
    # Nothing listens on port 9: a request would fail with ConnectionFailed, not TypeError.
    with driftql.Client("http://127.0.0.1:9", max_retries=0) as c:
        with pytest.raises(TypeError, match="'algorithmz'"):
            c.trajectories(algorithmz="dpo")
        with pytest.raises(TypeError, match="'stances'"):
            c.effect_decomposition("DRIFT_MAGNITUDE", "SUPPORT", stances="SUPPORT")
        with pytest.raises(TypeError, match="'bogus'"):
            c.attribution_summary(bogus=1)
        with pytest.raises(ValueError, match="format must be one of"):
            c.export("trajectories", "xlsx")
        with pytest.raises(driftql.ConnectionFailed):
            c.runs()
