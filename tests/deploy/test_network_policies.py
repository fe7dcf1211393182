"""Who may reach whom: only the gateway is exposed and takes ingress, default deny covers every
Billwire pod, each pod's egress is exactly what it needs, and monitors scrape real ports."""

from __future__ import annotations

import pytest

from tests.deploy.manifests import (
    OVERLAYS,
    config_values,
    egress_destinations,
    named,
    of_kind,
    pod_labels,
    pod_templates,
    policies_for,
    rendered,
    selects,
)

# ---------------------------------------------------------------- exposure and network


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_is_exposed(overlay):
    docs = rendered(overlay)
    ingresses = of_kind(docs, "Ingress")
    assert len(ingresses) == 1
    backends = {path["backend"]["service"]["name"] for rule in ingresses[0]["spec"]["rules"] for path in rule["http"]["paths"]}
    assert backends == {"gateway"}
    assert ingresses[0]["spec"]["tls"], "the API is served over TLS"
    for service in of_kind(docs, "Service"):
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", service["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_default_deny_covers_every_billwire_pod(overlay):
    docs = rendered(overlay)
    denies = [
        doc for doc in of_kind(docs, "NetworkPolicy")
        if set(doc["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not doc["spec"].get("ingress") and not doc["spec"].get("egress")
    ]
    assert denies
    for name, metadata, _ in pod_templates(docs):
        assert any(selects(deny["spec"]["podSelector"], metadata["labels"]) for deny in denies), f"{name} not denied by default"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_gateway_takes_ingress(overlay):
    docs = rendered(overlay)
    for name, metadata, _ in pod_templates(docs):
        service = metadata["labels"]["app.kubernetes.io/name"]
        for policy in policies_for(docs, metadata["labels"], "Ingress"):
            for rule in policy["spec"].get("ingress", []):
                ports = {port["port"] for port in rule.get("ports", [])}
                sources = rule.get("from", [])
                assert sources and ports, f"{policy['metadata']['name']}: ingress from anywhere or to any port"
                from_monitoring = all(
                    source.get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": "monitoring"}
                    for source in sources
                )
                if service == "gateway" and metadata["labels"]["app.kubernetes.io/component"] == "api":
                    assert ports == {8000}
                else:
                    # The one exception: Prometheus scraping the workers' metrics port.
                    worker = metadata["labels"]["app.kubernetes.io/component"] == "worker"
                    assert worker and ports == {9100}, f"{name} takes ingress via {policy['metadata']['name']}"
                    assert from_monitoring


EXPECTED_EGRESS = {
    ("gateway", "api"): {("nats", 4222)},
    ("invoices", "worker"): {("nats", 4222), ("postgres", 5432), ("internet", 443), ("internet", 80)},
    ("rendering", "worker"): {("nats", 4222), ("postgres", 5432)},
    ("mailer", "worker"): {("nats", 4222), ("postgres", 5432)} | {("anywhere", port) for port in (25, 465, 587, 2525)},
    ("invoices", "migration"): {("postgres", 5432)},
    ("rendering", "migration"): {("postgres", 5432)},
    ("mailer", "migration"): {("postgres", 5432)},
}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("who", sorted(EXPECTED_EGRESS))
def test_egress_is_exactly_what_each_pod_needs(overlay, who):
    docs = rendered(overlay)
    labels = pod_labels(docs, *who)
    dns = {("dns", 53)}
    assert egress_destinations(docs, labels) == EXPECTED_EGRESS[who] | dns


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_policies_point_at_the_real_nats_and_postgres(overlay):
    docs = rendered(overlay)
    cluster = named(docs, "Cluster", "billwire-db")["metadata"]["name"]
    common = next(cm for cm in of_kind(docs, "ConfigMap") if cm["metadata"]["name"].startswith("billwire-common"))
    assert common["data"]["NATS_URL"] == "nats://nats:4222", "the Helm release `nats` serves clients as Service `nats`"
    for policy in of_kind(docs, "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            for target in rule.get("to", []):
                pods = target.get("podSelector", {}).get("matchLabels", {})
                if "cnpg.io/cluster" in pods:
                    assert pods["cnpg.io/cluster"] == cluster
                if pods.get("app.kubernetes.io/name") == "nats":
                    assert pods["app.kubernetes.io/instance"] == "nats"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_service_monitors_scrape_a_real_metrics_port(overlay):
    docs = rendered(overlay)
    monitors = of_kind(docs, "ServiceMonitor")
    assert monitors
    for monitor in monitors:
        services = [svc for svc in of_kind(docs, "Service") if selects(monitor["spec"]["selector"], svc["metadata"].get("labels", {}))]
        assert len(services) == 1, monitor["metadata"]["name"]
        service = services[0]
        port_names = {port["name"]: port for port in service["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] in port_names
            deployment = next(d for d in of_kind(docs, "Deployment") if selects({"matchLabels": service["spec"]["selector"]}, d["spec"]["template"]["metadata"]["labels"]))
            container = deployment["spec"]["template"]["spec"]["containers"][0]
            target = port_names[endpoint["port"]]["targetPort"]
            container_port = next(p["containerPort"] for p in container["ports"] if p["name"] == target)
            # The service really listens there: its own setting says so (the gateway's HTTP port).
            setting = "PORT" if service["metadata"]["name"] == "gateway" else "BILLWIRE_METRICS_PORT"
            assert config_values(docs, container).get(setting) == str(container_port), monitor["metadata"]["name"]
    # Every service is scraped.
    assert {monitor["metadata"]["name"] for monitor in monitors} == {"gateway", "invoices", "rendering", "mailer"}
