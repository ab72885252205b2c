# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Value drift: a paper-style summary
#
# Three tables in the style of "Value Drifts: Tracing Value Alignment During LLM Post-Training"
# (arXiv 2510.26707), computed by a driftql server over the demo data that `npm start` loads:
# 2 models × 2 SFT datasets × 3 preference algorithms × 4 preference datasets.
#
# 1. How much of the change in stance SFT makes, per topic, with its 95% interval over runs.
# 2. How far preference optimisation moves the stance on value-gap data (`synth-support`,
#    `synth-oppose`), per algorithm.
# 3. How much of the preference-stage drift the algorithm, the data and their interaction explain.
#
# Run it as a script (`python paper_summary.py`) or open it as a notebook with Jupytext. The
# server is `$DRIFTQL_URL` (default `http://localhost:4000`); set `$DRIFT_TOKEN` for private data.

# %%
import os

import pandas as pd

import driftql

URL = os.environ.get("DRIFTQL_URL", "http://localhost:4000")
STANCE = "SUPPORT"
VALUE_GAP_DATA = ["synth-support", "synth-oppose"]

pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 20)
dq = driftql.Client(URL)


def interval(mean: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """'mean [low, high]' with three decimals."""
    return mean.map("{:.3f}".format) + " [" + low.map("{:.3f}".format) + ", " + high.map("{:.3f}".format) + "]"


# %% [markdown]
# ## 1. SFT share of the value change, per topic
#
# `netShare` of a run's SFT stages is |Δ_SFT| / Σ_k |Δ_k|: the share of the run's total movement
# in stance that happened during SFT. The server averages it over the runs, with a t interval.

# %%
summary = dq.attribution_summary(stances=STANCE)
sft = summary[summary.stage_kind == "SFT"].sort_values("net_share_mean", ascending=False)
table1 = pd.DataFrame(
    {
        "topic": sft.topic,
        "SFT share [95% CI]": interval(sft.net_share_mean, sft.net_share_ci_low, sft.net_share_ci_high),
        "runs": sft.net_share_n.astype(int),
    }
)
print(f"Table 1. SFT share of value change per topic ({STANCE.lower()} stance, all runs)")
print(table1.to_string(index=False))

# %% [markdown]
# ## 2. Drift magnitude by preference algorithm on value-gap data
#
# The drift magnitude of each run's preference stage (last minus first value of the stage path),
# averaged over topics, then over the runs of each algorithm × dataset cell.

# %%
gap = dq.effect_decomposition("DRIFT_MAGNITUDE", STANCE, ["ALGORITHM", "DATASET"], stage_dataset=VALUE_GAP_DATA)
cells = gap.cells.assign(magnitude=interval(gap.cells["mean"], gap.cells.ci_low, gap.cells.ci_high))
table2 = cells.pivot(index="algorithm", columns="dataset", values="magnitude")
table2.columns.name = None
print(f"\nTable 2. Drift magnitude of the preference stage by algorithm ({STANCE.lower()} stance, mean [95% CI])")
print(table2.to_string())

# %% [markdown]
# ## 3. ANOVA: algorithm, data and their interaction
#
# Type II sums of squares over every run, as R's `car::Anova` gives them; partial η² says how much
# of the variance each term explains once the others are accounted for.

# %%
anova = dq.effect_decomposition("DRIFT_MAGNITUDE", STANCE, ["ALGORITHM", "DATASET"])
table3 = anova.anova[["term", "df", "sum_sq", "mean_sq", "f_value", "p_value", "partial_eta_sq"]]
print(f"\nTable 3. ANOVA of the preference-stage drift magnitude ({STANCE.lower()} stance, n = {anova.n})")
print(table3.to_string(index=False, na_rep="", float_format="{:.4g}".format))
if anova.note:
    print(f"Note: {anova.note}")

# %%
dq.close()
