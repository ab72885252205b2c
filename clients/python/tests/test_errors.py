"""The server's refusals arrive as typed exceptions, from GraphQL and from the REST endpoints alike."""

from __future__ import annotations

import pytest

import driftql


def test_unknown_algorithm_is_bad_user_input_with_a_suggestion(client: driftql.Client) -> None:
    # Through the export endpoint (REST {"error": ...}) ...
    with pytest.raises(driftql.BadUserInput, match=r'did you mean "dpo"') as rest:
        client.trajectories(algorithm="DPO")
    assert rest.value.code == "BAD_USER_INPUT" and rest.value.status == 400
    # ... and through GraphQL (errors[0].extensions.code).
    with pytest.raises(driftql.BadUserInput, match=r'did you mean "dpo"') as gql:
        client.attribution_summary(algorithm="DPO")
    assert gql.value.errors and gql.value.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    with pytest.raises(driftql.BadUserInput, match="did you mean"):
        client.runs(algorithm="DPO")


def test_out_of_range_argument_names_it(client: driftql.Client) -> None:
    with pytest.raises(driftql.BadUserInput) as e:
        client.grouped_trajectories("MODEL", grid_points=1)
    assert e.value.argument == "gridPoints"


@pytest.mark.parametrize("token", ["dql_" + "A" * 43, "not-a-key"])
def test_bad_token_is_unauthenticated(url: str, token: str) -> None:
    with driftql.Client(url, token) as bad:
        with pytest.raises(driftql.Unauthenticated) as gql:
            bad.runs()
        assert gql.value.status == 401
        with pytest.raises(driftql.Unauthenticated) as rest:
            bad.drift_metrics(run_ids="1")
        assert rest.value.status == 401 and "API key" in rest.value.message


def test_unknown_run_is_not_found(client: driftql.Client) -> None:
    with pytest.raises(driftql.NotFound):
        client.query('{ run(id: "999999") { id } }')
    with pytest.raises(driftql.NotFound):
        client.drift_metrics(run_ids="999999")


def test_other_codes_keep_the_servers_code(client: driftql.Client) -> None:
    with pytest.raises(driftql.DriftqlError) as e:
        client.query("{ nope }")
    assert type(e.value) is driftql.DriftqlError and e.value.code == "GRAPHQL_VALIDATION_FAILED"


def test_unknown_job_is_not_found(client: driftql.Client) -> None:
    with pytest.raises(driftql.NotFound, match="no ingest job"):
        client.job("00000000-0000-4000-8000-000000000000")
