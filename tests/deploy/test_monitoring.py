"""The alerts and the dashboard in deploy/, checked offline: every expression is valid PromQL
(parsed by a real parser), every alert says what it is about and how bad, the alerts the
operators need exist, and the dashboard is one Grafana can load. That every metric they name
is served by some service is checked against the services' real /metrics output in
tests/e2e/test_observability.py."""

from __future__ import annotations

import json
import re

import promql_parser
import pytest

from tests.deploy.manifests import OVERLAYS, named, rendered
from tests.deploy.monitoring import alert_rules, as_promql, dashboard, dashboard_panels, monitoring_queries, promql_metric_names


def test_every_query_is_valid_promql_naming_billwire_metrics():
    queries = monitoring_queries()
    assert len(queries) >= 20
    for where, query in queries:
        try:
            names = promql_metric_names(query)
        except ValueError as exc:
            pytest.fail(f"{where}: not PromQL ({exc}): {query}")
        assert names and all(name.startswith("billwire_") for name in names), f"{where}: {names}"


def test_the_parser_refuses_what_it_should():
    """The check above is live: a broken expression does not parse."""
    for broken in ("sum(rate(billwire_x_total[5m])", "rate(billwire_x_total)", "billwire_x_total > > 1"):
        with pytest.raises(ValueError):
            promql_parser.parse(broken)


def test_the_alerts_operators_need_are_there_and_say_how_bad():
    rules = alert_rules()
    by_name = {rule["alert"]: rule for rule in rules}
    assert len(by_name) == len(rules), "alert names repeat"
    needed = {
        "BillwireOutboxLagging": "billwire_outbox_lag_seconds",
        "BillwireDeadLettersGrowing": "billwire_dead_letters_total",
        "BillwireApi5xxRate": "billwire_gateway_requests_total",
        "BillwireRenderQueueFull": "billwire_render_rejected_total",
        "BillwireSmtpFailures": "billwire_smtp_failures_total",
    }
    for alert, metric in needed.items():
        assert metric in promql_metric_names(by_name[alert]["expr"]), alert
    for rule in rules:
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_rule_and_the_dashboard_are_deployed(overlay):
    docs = rendered(overlay)
    rule = named(docs, "PrometheusRule", "billwire")
    assert [r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]] == [r["alert"] for r in alert_rules()]
    maps = [doc for doc in docs if doc["kind"] == "ConfigMap" and doc["metadata"]["name"].startswith("billwire-grafana-dashboard")]
    assert len(maps) == 1 and maps[0]["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(maps[0]["data"]["grafana-dashboard.json"]) == dashboard()


def test_the_dashboard_is_one_grafana_loads():
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    panels = dashboard_panels()
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    variables = {variable["name"] for variable in board["templating"]["list"]}
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"], panel["title"]
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            used = {name.strip("${}") for name in re.findall(r"\$\{?\w+\}?", target["expr"])}
            assert used - {"__rate_interval"} <= variables, f"{panel['title']}: unknown variable in {target['expr']}"
            assert 'namespace=~"$namespace"' in target["expr"], f"{panel['title']}: not filtered by namespace"
    covered = set().union(*(promql_metric_names(as_promql(t["expr"])) for p in panels for t in p["targets"]))
    for metric in ("billwire_gateway_requests_total", "billwire_messages_handled_total", "billwire_outbox_lag_seconds",
                   "billwire_dead_letters_total", "billwire_render_queue_depth", "billwire_mail_deliveries_total"):
        assert metric in covered, metric
