"""The driftql client: DataFrames from a driftql server, and bundle uploads to it."""

from __future__ import annotations

import io
import itertools
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple, Union

import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import _queries as Q
from ._bundle import chunks, pack
from ._http import TRANSIENT, Transport, error_from_response, graphql_error
from ._selection import StrOrList, as_list, enum_value, parse_selection
from .errors import ConnectionFailed, IngestFailed

__all__ = ["Client", "EffectDecomposition", "RUN_COLUMNS", "EXPORT_TABLES", "EXPORT_FORMATS"]

#: The columns every run-level table starts with (as the export's rows do).
RUN_COLUMNS = [
    "run_id",
    "run_key",
    "lab",
    "dataset",
    "dataset_version",
    "model",
    "sft_dataset",
    "preference_algorithm",
    "preference_dataset",
    "stage_algorithms",
    "stage_datasets",
]

EXPORT_TABLES = ("observations", "prompt-means", "trajectories", "drift-metrics", "stage-attribution")
EXPORT_FORMATS = ("parquet", "csv", "arrow")

#: The format the bulk methods ask for: the server writes the analytic tables' Arrow streams
#: straight from the answer, and pyarrow reads them without decoding a file format.
_BULK_FORMAT = "arrow"

#: Text columns of the export tables, read as text from CSV (run ids and versions look like numbers).
_TEXT_COLUMNS = set(RUN_COLUMNS) | {"topic", "stance", "stage", "stage_kind", "prompt"}

#: GraphQL estimate fields -> column suffixes.
_ESTIMATE = (("mean", "mean"), ("sd", "sd"), ("se", "se"), ("ciLow", "ci_low"), ("ciHigh", "ci_high"), ("n", "n"))

_MUTATION = re.compile(r"^\s*(#[^\n]*\n\s*)*mutation\b")

PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class EffectDecomposition:
    """The answer of :meth:`Client.effect_decomposition`: an ANOVA of a per-run outcome.

    ``anova`` has one row per term and a last ``Residuals`` row (columns ``term, df, sum_sq,
    mean_sq, f_value, p_value, eta_sq, partial_eta_sq, omega_sq``). ``cells`` has a column per
    factor (lower case, e.g. ``algorithm``) then ``count, mean, sd, se, ci_low, ci_high``;
    ``marginal_means`` has ``factor, level`` and the same; ``pairwise`` the Welch comparisons
    (empty unless asked for); ``observations`` the outcome of each run (and topic) in the model;
    ``excluded_runs`` the selected runs left out, with the reason.
    """

    outcome: str
    stance: str
    stage_kind: str
    sum_of_squares: str
    factors: List[str]
    n: int
    note: Optional[str]
    total_sum_sq: float
    anova: pd.DataFrame
    cells: pd.DataFrame
    marginal_means: pd.DataFrame
    pairwise: pd.DataFrame
    observations: pd.DataFrame
    excluded_runs: pd.DataFrame


def _factor_column(factor: str) -> str:
    return factor.lower()


def _levels(levels: Sequence[Dict[str, str]]) -> Dict[str, str]:
    """``[{factor: ALGORITHM, level: dpo}]`` -> ``{"algorithm": "dpo"}``."""
    return {_factor_column(x["factor"]): x["level"] for x in levels}


def _group_head(g: Dict[str, Any], runs: int) -> Dict[str, Any]:
    """The columns every row of a group starts with: its label, a column per factor, topic, stance, runs."""
    return {"label": g["label"], **_levels(g["levels"]), "topic": g["topic"], "stance": g["stance"], "runs": runs}


def _estimate(prefix: str, est: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return {f"{prefix}_{col}": (est or {}).get(key) for key, col in _ESTIMATE}


def _frame(rows: List[Dict[str, Any]], columns: List[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _sum_of_squares(value: Union[str, int]) -> str:
    roman = {1: "I", 2: "II", 3: "III"}
    text = roman[value] if isinstance(value, int) and value in roman else enum_value(str(value))
    return text if text.startswith("TYPE_") else f"TYPE_{text}"


def _last_of_kind(stages: List[Dict[str, Any]], kind: str) -> Optional[Dict[str, Any]]:
    found = [s for s in stages if s["kind"] == kind]
    return found[-1] if found else None


class Client:
    """A connection to a driftql server.

    Args:
        url: the server, e.g. ``"http://localhost:4000"`` (a trailing ``/graphql`` is dropped).
        token: an API key (``dql_...``); default ``$DRIFT_TOKEN``, else none (public data only).
        timeout: seconds to wait for the server at each step of a request (``None``: forever).
        max_retries: retries after HTTP 429/503 and connection failures (see the README).

    Every analytic method takes the same selection keywords: ``run_ids``, ``topics``, ``stances``
    (``"support"`` or ``"SUPPORT"``), ``confidence``, and the run-filter fields ``lab``,
    ``dataset``, ``model``, ``algorithm``, ``stage_dataset``, ``stage_kind``, ``key``,
    ``dataset_version`` (each a string or a list of strings) and ``versions`` (``"LATEST"`` or
    ``"ALL"``). In :meth:`attribution_summary`, :meth:`grouped_trajectories` and
    :meth:`effect_decomposition`, ``stage_kind`` is instead the kind of stage whose algorithm and
    data the ``ALGORITHM`` and ``DATASET`` factors read, as in the API.
    """

    def __init__(
        self,
        url: str,
        token: Optional[str] = None,
        *,
        timeout: Optional[float] = 60.0,
        max_retries: int = 5,
    ) -> None:
        url = url.rstrip("/")
        if url.endswith("/graphql"):
            url = url[: -len("/graphql")]
        self.url = url
        self._token = token if token is not None else os.environ.get("DRIFT_TOKEN") or None
        self._http = Transport(url, self._token, timeout=timeout, max_retries=max_retries)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connections."""
        self._http.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r}{', token=...' if self._token else ''})"

    # ------------------------------------------------------------------------------------------
    # GraphQL

    def query(self, text: str, variables: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Runs a GraphQL operation and returns its ``data``.

        Raises:
            DriftqlError: the subclass for the first error's ``extensions.code``.
        """
        body = {"query": text, "variables": variables or {}}
        idempotent = not _MUTATION.match(text)
        with self._http.send("POST", "/graphql", json=body, idempotent=idempotent) as response:
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if response.is_error or not isinstance(answer, dict):
                raise error_from_response(response)
            if answer.get("errors"):
                raise graphql_error(answer["errors"], response.status_code)
            return answer.get("data") or {}

    def runs(self, **filters: Any) -> pd.DataFrame:
        """The runs a run filter selects (all, without one), one row each.

        Columns: ``RUN_COLUMNS`` (as in every export), then ``dataset_id``, ``latest`` (whether
        the run's dataset version is the latest), ``seed``, ``metadata`` (a dict) and ``stages``
        (a list of dicts: ``name, kind, ordinal, algorithm, dataset, total_steps,
        hyperparameters, evaluated_steps``, in training order).
        """
        sel = parse_selection(filters, where="runs", only_run_filter=True)
        rows: List[Dict[str, Any]] = []
        after: Optional[str] = None
        while True:
            variables: Dict[str, Any] = {"first": 200, "after": after}
            if sel.run_filter:
                variables["filter"] = sel.run_filter
            page = self.query(Q.RUNS, variables)["runs"]
            rows += [self._run_row(node) for node in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        return _frame(rows, RUN_COLUMNS + ["dataset_id", "latest", "seed", "metadata", "stages"])

    @staticmethod
    def _run_row(node: Dict[str, Any]) -> Dict[str, Any]:
        stages = node["stages"]
        sft, pref = _last_of_kind(stages, "SFT"), _last_of_kind(stages, "PREFERENCE")
        ds = node["dataset"]
        return {
            "run_id": node["id"],
            "run_key": node["key"],
            "lab": ds["lab"],
            "dataset": ds["name"],
            "dataset_version": ds["version"],
            "model": node["model"],
            "sft_dataset": sft["dataset"] if sft else None,
            "preference_algorithm": pref["algorithm"] if pref else None,
            "preference_dataset": pref["dataset"] if pref else None,
            "stage_algorithms": ",".join(s["algorithm"] or "" for s in stages),
            "stage_datasets": ",".join(s["dataset"] or "" for s in stages),
            "dataset_id": ds["id"],
            "latest": ds["latest"],
            "seed": node["seed"],
            "metadata": node["metadata"],
            "stages": [{_snake(k): v for k, v in s.items()} for s in stages],
        }

    def attribution_summary(
        self,
        group_by: Optional[StrOrList] = None,
        *,
        stage_kind: Optional[str] = None,
        **selection: Any,
    ) -> pd.DataFrame:
        """What share of the value change each kind of stage made, per group × topic × stance.

        One row per group × topic × stance × stage kind (SFT, OTHER, PREFERENCE, in training
        order): ``label``, a column per ``group_by`` factor (lower case), ``topic``, ``stance``,
        ``runs`` (the group's runs with data for the topic), ``stage_kind``,
        ``stage_kind_runs``, then for each of ``net_share``, ``path_share``, ``delta`` and
        ``abs_delta`` the mean over runs with ``_mean, _sd, _se, _ci_low, _ci_high, _n``.

        Args:
            group_by: factors (``ALGORITHM``, ``DATASET``, ``MODEL``, ``SFT_DATASET``, ``LAB``);
                none puts every run in one group labelled "all runs".
            stage_kind: the stage kind ``ALGORITHM`` and ``DATASET`` read (default PREFERENCE).
        """
        factors = as_list("group_by", group_by, enum=True) if group_by is not None else []
        variables = {**parse_selection(selection, where="attribution_summary").graphql(), "groupBy": factors}
        if stage_kind is not None:
            variables["stageKind"] = enum_value(stage_kind)
        rows = []
        for g in self.query(Q.ATTRIBUTION_SUMMARY, variables)["attributionSummary"]:
            head = _group_head(g, g["runs"])
            for k in g["kinds"]:
                row = {**head, "stage_kind": k["stageKind"], "stage_kind_runs": k["runs"]}
                for key, prefix in (
                    ("netShare", "net_share"),
                    ("pathShare", "path_share"),
                    ("delta", "delta"),
                    ("absDelta", "abs_delta"),
                ):
                    row.update(_estimate(prefix, k[key]))
                rows.append(row)
        estimates = [f"{p}_{c}" for p in ("net_share", "path_share", "delta", "abs_delta") for _, c in _ESTIMATE]
        head_cols = ["label", *map(_factor_column, factors), "topic", "stance", "runs"]
        return _frame(rows, head_cols + ["stage_kind", "stage_kind_runs"] + estimates)

    def grouped_trajectories(
        self,
        group_by: StrOrList,
        *,
        grid_points: Optional[int] = None,
        stage_kind: Optional[str] = None,
        **selection: Any,
    ) -> pd.DataFrame:
        """Trajectories averaged over groups of runs, aligned on training progress.

        One row per group × topic × stance × stage slot × grid point: ``label``, a column per
        ``group_by`` factor (lower case), ``topic``, ``stance``, ``runs`` (the group's runs),
        ``slot`` (the slot's index), ``stage`` (its first stage name), ``stage_names``
        (comma-separated), ``stage_kind``, ``occurrence_from_end``, ``slot_runs``, ``progress``,
        ``global_progress``, ``mean``, ``sd``, ``se``, ``ci_low``, ``ci_high``, ``n``.

        Args:
            group_by: factors; ``[]`` puts every run in one group.
            grid_points: points of the progress grid per slot (server default 50).
            stage_kind: the stage kind ``ALGORITHM`` and ``DATASET`` read (default PREFERENCE).
        """
        factors = as_list("group_by", group_by, enum=True)
        variables = {**parse_selection(selection, where="grouped_trajectories").graphql(), "groupBy": factors}
        if grid_points is not None:
            variables["gridPoints"] = grid_points
        if stage_kind is not None:
            variables["stageKind"] = enum_value(stage_kind)
        rows = []
        for g in self.query(Q.GROUPED_TRAJECTORIES, variables)["groupedTrajectories"]:
            head = _group_head(g, len(g["runKeys"]))
            for s in g["stages"]:
                slot = {
                    "slot": s["index"],
                    "stage": s["stage"],
                    "stage_names": ",".join(s["stageNames"]),
                    "stage_kind": s["stageKind"],
                    "occurrence_from_end": s["occurrenceFromEnd"],
                    "slot_runs": s["runs"],
                }
                for p in s["points"]:
                    rows.append({**head, **slot, **{_snake(k): v for k, v in p.items()}})
        columns = ["label", *map(_factor_column, factors), "topic", "stance", "runs"]
        columns += ["slot", "stage", "stage_names", "stage_kind", "occurrence_from_end", "slot_runs"]
        columns += ["progress", "global_progress", "mean", "sd", "se", "ci_low", "ci_high", "n"]
        return _frame(rows, columns)

    def effect_decomposition(
        self,
        outcome: str,
        stance: str,
        factors: Optional[StrOrList] = None,
        *,
        interactions: bool = True,
        sum_of_squares: Optional[Union[str, int]] = None,
        pairwise: Optional[Union[str, Tuple[str, str], Dict[str, str]]] = None,
        endpoint: Optional[str] = None,
        stage_kind: Optional[str] = None,
        **selection: Any,
    ) -> EffectDecomposition:
        """How much of a per-run outcome the factors explain (ANOVA, matching R).

        Args:
            outcome: ``DRIFT_MAGNITUDE``, ``DRIFT_TIME`` or ``END_VALUE`` of each run's last stage
                of ``stage_kind`` (default PREFERENCE).
            stance: the one stance analysed.
            factors: in model order (server default ``[ALGORITHM, DATASET]``).
            interactions: all interactions of the factors (A*B), or main effects only (A+B).
            sum_of_squares: ``TYPE_I``, ``TYPE_II`` (server default) or ``TYPE_III`` (or 1, 2, 3).
            pairwise: Welch comparisons of one factor's levels: ``"ALGORITHM"``, or
                ``("ALGORITHM", "DATASET")`` to compare within each level of the second.
            endpoint: ``LAST`` (default) or ``EXTREMUM`` for DRIFT_MAGNITUDE.

        The selection keywords apply, except ``stances``.
        """
        sel = parse_selection(selection, where="effect_decomposition", stances=False).graphql()
        spec: Dict[str, Any] = {
            "outcome": enum_value(outcome),
            "stance": enum_value(stance),
            **sel,
            "interactions": interactions,
        }
        if factors is not None:
            spec["factors"] = as_list("factors", factors, enum=True)
        if sum_of_squares is not None:
            spec["sumOfSquares"] = _sum_of_squares(sum_of_squares)
        if pairwise is not None:
            if isinstance(pairwise, str):
                pairwise = {"factor": pairwise}
            elif isinstance(pairwise, tuple):
                pairwise = dict(zip(("factor", "within"), pairwise))
            spec["pairwise"] = {k: enum_value(v) for k, v in pairwise.items() if v is not None}
        if endpoint is not None:
            spec["endpoint"] = enum_value(endpoint)
        if stage_kind is not None:
            spec["stageKind"] = enum_value(stage_kind)
        e = self.query(Q.EFFECT_DECOMPOSITION, {"input": spec})["effectDecomposition"]

        anova_cols = ["term", "df", "sum_sq", "mean_sq", "f_value", "p_value", "eta_sq", "partial_eta_sq", "omega_sq"]
        terms = [{_snake(k): v for k, v in t.items()} for t in e["terms"]]
        terms.append({"term": "Residuals", **{_snake(k): v for k, v in e["residual"].items()}})
        stats = ["count", "mean", "sd", "se", "ci_low", "ci_high"]
        cells = [{**_levels(c["levels"]), **{_snake(k): v for k, v in c.items() if k != "levels"}} for c in e["cells"]]
        pw = e["pairwise"]
        comparisons = [
            {"factor": pw["factor"], "within_factor": pw["within"], **{_snake(k): v for k, v in c.items()}}
            for c in (pw["comparisons"] if pw else [])
        ]
        pairwise_cols = ["factor", "within_factor", "within", "level_a", "level_b", "n_a", "n_b", "mean_a", "mean_b"]
        pairwise_cols += ["difference", "se", "df", "t", "ci_low", "ci_high", "p_value", "p_adjusted", "note"]
        return EffectDecomposition(
            outcome=e["outcome"],
            stance=e["stance"],
            stage_kind=e["stageKind"],
            sum_of_squares=e["sumOfSquares"],
            factors=list(e["factors"]),
            n=e["n"],
            note=e["note"],
            total_sum_sq=e["totalSumSq"],
            anova=_frame(terms, anova_cols),
            cells=_frame(cells, [*map(_factor_column, e["factors"]), *stats]),
            marginal_means=_frame(
                [{_snake(k): v for k, v in m.items()} for m in e["marginalMeans"]], ["factor", "level", *stats]
            ),
            pairwise=_frame(comparisons, pairwise_cols),
            observations=_frame(
                [{_snake(k): v for k, v in o.items()} for o in e["observations"]], ["run_id", "run_key", "topic", "y"]
            ),
            excluded_runs=_frame(
                [{_snake(k): v for k, v in x.items()} for x in e["excludedRuns"]], ["run_id", "run_key", "reason"]
            ),
        )

    # ------------------------------------------------------------------------------------------
    # Bulk export

    def trajectories(self, *, max_points: Optional[int] = None, **selection: Any) -> pd.DataFrame:
        """Value trajectories, one row per run × topic × stance × point, from the export endpoint.

        Columns: ``RUN_COLUMNS``, then ``topic, stance, stage, stage_kind, step, global_step,
        progress, value, ci_low, ci_high, n``. ``max_points`` downsamples each trajectory.
        """
        return self.export("trajectories", _BULK_FORMAT, max_points=max_points, **selection)

    def drift_metrics(self, *, endpoint: Optional[str] = None, **selection: Any) -> pd.DataFrame:
        """Drift magnitude and time per run × topic × stance × non-base stage, from the export endpoint.

        Columns: ``RUN_COLUMNS``, then ``topic, stance, stage, stage_kind, magnitude, drift_time,
        start_value, end_value, extremum_value, extremum_step``. ``endpoint``: LAST or EXTREMUM.
        """
        return self.export("drift-metrics", _BULK_FORMAT, endpoint=endpoint, **selection)

    def stage_attribution(self, **selection: Any) -> pd.DataFrame:
        """Each stage's share of the value change, one row per run × topic × stance × stage.

        Columns: ``RUN_COLUMNS``, then ``topic, stance, total_delta, stage, stage_kind, delta,
        net_share, path_length, path_share, distribution_shift``.
        """
        return self.export("stage-attribution", _BULK_FORMAT, **selection)

    def export(
        self,
        table: str,
        format: str = "parquet",
        path: Optional[PathLike] = None,
        *,
        max_points: Optional[int] = None,
        endpoint: Optional[str] = None,
        **selection: Any,
    ) -> Any:
        """One table of the data you can see, from ``GET /api/v1/export/<table>``.

        Args:
            table: ``observations``, ``prompt-means``, ``trajectories``, ``drift-metrics`` or
                ``stage-attribution`` (underscores work too).
            format: ``parquet`` (default), ``csv`` or ``arrow`` (Arrow IPC stream, on servers that
                serve it).
            path: where to write the file as the server sent it, streamed to disk; without it,
                the table is read into a DataFrame.
            max_points: trajectories only: downsample each trajectory.
            endpoint: drift-metrics only: LAST or EXTREMUM.

        Returns:
            A DataFrame, or the ``pathlib.Path`` written.
        """
        table = table.replace("_", "-")
        fmt = format.lower()
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
        params = parse_selection(selection, where="export").query_params()
        if max_points is not None:
            params.append(("maxPoints", str(int(max_points))))
        if endpoint is not None:
            params.append(("endpoint", enum_value(endpoint)))
        params.append(("format", fmt))
        url = f"/api/v1/export/{table}"
        if path is not None:
            target = Path(path)
            part = target.with_name(target.name + ".part")
            try:
                with open(part, "wb") as sink:
                    self._download(url, params, sink)
                os.replace(part, target)
            finally:
                if part.exists():
                    part.unlink()
            return target
        buffer = io.BytesIO()
        self._download(url, params, buffer)
        buffer.seek(0)
        return _read_table(buffer, fmt)

    def _download(self, url: str, params: List[Tuple[str, str]], sink: IO[bytes]) -> None:
        """Streams an answer's body into ``sink``, starting again after a broken connection."""
        for attempt in itertools.count():
            sink.seek(0)
            sink.truncate()
            try:
                with self._http.send("GET", url, params=params, stream=True) as response:
                    if response.is_error:
                        response.read()
                        raise error_from_response(response)
                    for block in response.iter_bytes(1 << 20):
                        sink.write(block)
                return
            except httpx.HTTPError as exc:
                if not isinstance(exc, TRANSIENT) or attempt >= self._http.max_retries:
                    raise ConnectionFailed(
                        None, f"GET {url}: the download broke off: {type(exc).__name__}: {exc}"
                    ) from exc
                self._http.sleep(self._http.delay(attempt))

    # ------------------------------------------------------------------------------------------
    # Upload

    def push(
        self,
        bundle_dir: PathLike,
        replace: bool = False,
        dry_run: bool = False,
        wait: bool = True,
        timeout: Optional[float] = 3600.0,
    ) -> Dict[str, Any]:
        """Uploads a bundle folder to the server's ingest queue and (by default) waits for its job.

        The folder is packed into a temporary gzip tar, sent to ``POST /api/v1/bundles`` with a
        writer key of the bundle's lab (or an admin key), and the job is followed with
        ``GET /api/v1/jobs/<id>``. The upload itself is repeated only after HTTP 429/503 or a
        refused connection, never once the server may have read it.

        Args:
            replace: replace a loaded version of the same lab/dataset/version with this content.
            dry_run: run every check and write nothing (the result's status is ``validated``).
            wait: wait for the job to end; else return the job as it is now.
            timeout: seconds to wait for the job (``None``: no limit).

        Returns:
            The job (``id``, ``status``, ``progress``, ``result``, ``problems``, ...).

        Raises:
            IngestFailed: the job failed; ``problems`` locates what is wrong in the bundle.
            Forbidden, Unauthenticated, PayloadTooLarge, BadUserInput: the upload was refused.
        """
        bundle = Path(bundle_dir)
        params = {}
        if replace:
            params["replace"] = "true"
        if dry_run:
            params["dryRun"] = "true"
        with tempfile.TemporaryDirectory(prefix="driftql-push-") as tmp:
            archive = Path(tmp) / "bundle.tar.gz"
            pack(bundle, archive)
            headers = {"Content-Type": "application/gzip", "Content-Length": str(archive.stat().st_size)}
            # A connection of its own: a pooled one the server has just closed would fail the upload
            # in a way that cannot be told from a failure after the server read it.
            with httpx.Client(base_url=self.url, headers=self._http.headers, timeout=self._http.timeout) as fresh:
                with self._http.send(
                    "POST",
                    "/api/v1/bundles",
                    params=params,
                    body=lambda: chunks(archive),
                    headers=headers,
                    idempotent=False,
                    client=fresh,
                ) as response:
                    if response.is_error:
                        raise error_from_response(response)
                    job_id = response.json()["job"]["id"]
        return self.wait_for_job(job_id, timeout=timeout) if wait else self.job(job_id)

    def job(self, job_id: str) -> Dict[str, Any]:
        """An ingest job as ``GET /api/v1/jobs/<id>`` answers it."""
        job: Dict[str, Any] = self._http.json("GET", f"/api/v1/jobs/{job_id}")
        return job

    def wait_for_job(self, job_id: str, timeout: Optional[float] = 3600.0) -> Dict[str, Any]:
        """Polls an ingest job until it ends and returns it; a failed job raises IngestFailed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pause = 0.05
        while True:
            job = self.job(job_id)
            if job["status"] == "failed":
                message = job.get("error") or job.get("progress", {}).get("message") or "the ingest job failed"
                raise IngestFailed(message, job.get("problems"), job)
            if job["status"] == "succeeded":
                return job
            if deadline is not None and time.monotonic() + pause > deadline:
                raise TimeoutError(
                    f"ingest job {job_id} is still {job['status']} after {timeout} s; ask again with job()"
                )
            time.sleep(pause)
            pause = min(2.0, pause * 1.5)


def _read_table(source: IO[bytes], fmt: str) -> pd.DataFrame:
    """An export's bytes as a DataFrame."""
    if fmt in ("parquet", "arrow"):
        table = pq.read_table(source) if fmt == "parquet" else pa.ipc.open_stream(source).read_all()
        # Dictionary-encoded text would become pandas categoricals: the same table must give the
        # same DataFrame in every format.
        for i, f in enumerate(table.schema):
            if pa.types.is_dictionary(f.type):
                table = table.set_column(i, f.name, table.column(i).cast(f.type.value_type))
        return table.to_pandas()
    header = source.readline().decode("utf-8").rstrip("\r\n").split(",")
    source.seek(0)
    return pd.read_csv(
        source,
        dtype={c: str for c in header if c in _TEXT_COLUMNS},
        keep_default_na=False,
        na_values=[""],
    )
