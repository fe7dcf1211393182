"""The monitoring kept in deploy/: the PrometheusRule's alert expressions and the Grafana
dashboard's queries, read from the files, and the metric names a PromQL expression uses (from
a real PromQL parser, `promql_parser`, so an expression that does not parse fails)."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import promql_parser
import yaml

from tests.deploy.manifests import K8S

ALERTS = K8S / "base" / "alerts.yaml"
DASHBOARD = K8S / "base" / "grafana-dashboard.json"
_RANGE_VARIABLE = re.compile(r"\$__(rate_interval|interval|range)\b")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_LABEL_VALUES = re.compile(r"^label_values\((\w+),\s*\w+\)$")


@cache
def alert_rules() -> tuple[dict[str, Any], ...]:
    rule = yaml.safe_load(ALERTS.read_text())
    return tuple(r for group in rule["spec"]["groups"] for r in group["rules"])


@cache
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def dashboard_panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def as_promql(grafana_query: str) -> str:
    """A dashboard query with Grafana's variables filled in as Grafana would."""
    return _VARIABLE.sub("x", _RANGE_VARIABLE.sub("5m", grafana_query))


def monitoring_queries() -> list[tuple[str, str]]:
    """(where, PromQL) of every alert and every dashboard query, template variables included."""
    queries = [(f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules()]
    for panel in dashboard_panels():
        queries += [(f"panel {panel['title']!r}", as_promql(target["expr"])) for target in panel["targets"]]
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            found = _LABEL_VALUES.match(variable["query"]["query"])
            assert found, f"variable {variable['name']}: {variable['query']}"
            queries.append((f"variable {variable['name']}", found.group(1)))
    return queries


def promql_metric_names(query: str) -> set[str]:
    """The metric names `query` selects; raises ValueError when it is not valid PromQL."""
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            return
        for attribute in ("lhs", "rhs", "expr", "args", "param", "vector_selector"):
            child = getattr(node, attribute, None)
            for item in child if isinstance(child, list) else [child]:
                if item is not None:
                    walk(item)

    walk(promql_parser.parse(query))
    return names
