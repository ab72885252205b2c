"""The example notebook script runs against a server with the demo data and prints its three tables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "paper_summary.py"
DEMO_TOPICS = ["immigration", "abortion", "climate change", "gun control", "nuclear energy", "euthanasia"]


def test_paper_summary_runs_on_the_demo_data(demo_url: str) -> None:
    env = {**os.environ, "DRIFTQL_URL": demo_url, "DRIFT_TOKEN": ""}
    run = subprocess.run([sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    table1, rest = out.split("Table 2.")
    table2, table3 = rest.split("Table 3.")
    assert "Table 1. SFT share of value change per topic" in table1
    assert all(topic in table1 for topic in DEMO_TOPICS)
    assert "Drift magnitude of the preference stage by algorithm" in table2
    assert all(word in table2 for word in ("dpo", "ppo", "simpo", "synth-support", "synth-oppose"))
    assert "ANOVA" in table3 and "n = 48" in table3
    assert all(term in table3 for term in ("ALGORITHM", "DATASET", "ALGORITHM:DATASET", "Residuals"))


def test_paper_summary_is_a_percent_format_notebook() -> None:
    text = EXAMPLE.read_text()
    assert "format_name: percent" in text
    assert text.count("\n# %%") >= 6 and "# %% [markdown]" in text
