"""prefect.yaml (for `prefect deploy --all`) stays in step with the code:
every entrypoint is a flow that takes the parameters given, every schedule
is a cron expression, and every source named exists in config/sources.toml."""

from __future__ import annotations

import inspect
from pathlib import Path

import yaml
from prefect.flows import load_flow_from_entrypoint

from newsflow.config import load_sources

REPO = Path(__file__).resolve().parents[2]


def test_every_deployment_names_a_flow_its_parameters_and_known_sources() -> None:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    known = {s.id for s in load_sources(REPO / "config" / "sources.toml").sources}
    deployments = spec["deployments"]
    assert {d["name"] for d in deployments} >= {"ingest-every-30-min", "ingest-hourly", "ingest-un-news", "compact"}
    served = set()
    for d in deployments:
        flow = load_flow_from_entrypoint(str(REPO / d["entrypoint"]))
        accepted = set(inspect.signature(flow.fn).parameters)
        assert set(d["parameters"]) <= accepted, (d["name"], set(d["parameters"]) - accepted)
        flow.validate_parameters(d["parameters"])  # types too
        for schedule in d["schedules"]:
            assert len(schedule["cron"].split()) == 5
        assert d["work_pool"]["name"] == "newsflow" and d["concurrency_limit"]["limit"] == 1
        only = d["parameters"].get("only", [])
        assert set(only) <= known, (d["name"], set(only) - known)
        served |= set(only)
    assert served == known  # every shipped source is on one of the schedules
