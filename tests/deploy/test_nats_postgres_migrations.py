"""The servers under Billwire and its rollout: stream replicas match the NATS cluster, the
CloudNativePG clusters of each overlay, and one migration Job per schema before the services."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from billwire_cli import small_profile
from tests.deploy.manifests import (
    K8S,
    OVERLAYS,
    ROOT,
    SERVICES,
    WORKERS,
    config_values,
    egress_destinations,
    kubectl,
    named,
    of_kind,
    rendered,
)

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


def default_pool_size(service: str) -> int:
    """The service's own default of BILLWIRE_DB_POOL_SIZE, from its settings class."""
    import importlib

    import msgspec

    module = importlib.import_module(f"billwire_{service}.settings")
    settings = next(cls for name, cls in vars(module).items() if name.endswith("Settings") and name != "ServiceSettings"
                    and isinstance(cls, type) and issubclass(cls, msgspec.Struct) and cls.__module__ == module.__name__)
    return next(field.default for field in msgspec.structs.fields(settings) if field.name == "db_pool_size")


def most_replicas(docs, service: str) -> int:
    autoscalers = [hpa for hpa in of_kind(docs, "HorizontalPodAutoscaler") if hpa["spec"]["scaleTargetRef"]["name"] == service]
    return autoscalers[0]["spec"]["maxReplicas"] if autoscalers else named(docs, "Deployment", service)["spec"]["replicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_postgres_takes_every_connection_the_services_may_open(overlay):
    """Each replica keeps its pool plus two connections of its own (the outbox's listener, the webhook
    directory or a migration); at the most replicas the autoscalers allow, with the migration Jobs and
    the operator's few (replication, monitoring, superuser reserve), Postgres must still accept them."""
    docs = rendered(overlay)
    opened = len(of_kind(docs, "Job"))
    for service in WORKERS:
        pool = int(configured(docs, service, "BILLWIRE_DB_POOL_SIZE") or default_pool_size(service))
        opened += most_replicas(docs, service) * (pool + 2)
    parameters = named(docs, "Cluster", "billwire-db")["spec"]["postgresql"]["parameters"]
    assert opened + 10 <= int(parameters["max_connections"]), f"{overlay}: {opened} connections, max_connections {parameters['max_connections']}"
    if overlay == "dev":  # the small profile (README): a server of about 1 GB
        assert int(parameters["max_connections"]) <= 50
        for name, value in small_profile.POSTGRES_SETTINGS.items():  # as `billwire run` sets them
            if name not in ("max_connections", "io_method"):  # io_method: Postgres 18 (the embedded build) only
                assert parameters[name] == value, f"{name}: {parameters[name]} in the dev overlay, {value} in billwire run"
        mailer_pool = int(configured(docs, "mailer", "BILLWIRE_DB_POOL_SIZE"))
        assert int(configured(docs, "mailer", "BILLWIRE_SEND_CONCURRENCY")) <= mailer_pool - 4, "sends would starve the quota RPCs"
        chart = nats_values("values.yaml", "values-dev.yaml")["config"]["jetstream"]
        assert chart["memoryStore"]["enabled"] and chart["memoryStore"]["maxSize"] == "64Mi"


@pytest.mark.parametrize("service", WORKERS)
def test_billwire_run_sizes_the_pools_as_the_dev_overlay_does(service):
    """`billwire run`'s small profile and the Kubernetes dev overlay are one profile (README: A small
    server): a pool changed in one of them only (issue 24) drifted apart once already."""
    from billwire_cli.small_profile import SERVICE_ENV

    docs = rendered("dev")
    for key in ("BILLWIRE_DB_POOL_SIZE", "BILLWIRE_DB_POOL_MIN_SIZE"):
        assert SERVICE_ENV[service].get(key) == configured(docs, service, key), f"{service} {key}"


def test_billwire_run_prints_as_many_pdfs_at_once_as_the_dev_overlay():
    """The small profile's rendering (README: A small server): one page, and its recent-PDF cache,
    the same in `billwire run` and the dev overlay."""
    from billwire_cli.small_profile import SERVICE_ENV

    docs = rendered("dev")
    for key in ("BILLWIRE_RENDER_PAGES", "BILLWIRE_RENDER_RECENT_PDFS_MB"):
        assert SERVICE_ENV["rendering"][key] == configured(docs, "rendering", key), key
