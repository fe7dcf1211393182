"""A newcomer's first start, with every browser hidden: `billwire run` (what `make run` runs) comes
up anyway, PDFs answer 503 RENDERER_UNAVAILABLE naming the fix, /ready says why rendering is not
ready, the CLI finds make run's own servers through var/servers.env, `billwire doctor` says what
is wrong (and that all is well once a browser appears, which rendering picks up by itself), and
a CLI whose servers are gone says so in one line."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from billwire_cli.embedded import free_port
from billwire_rendering.chromium import find_chromium
from tests.e2e.test_make_run import ENV_DROPPED, started, stop
from tests.stack import BUYER

CLI_ENV_DROPPED = (*ENV_DROPPED, "BILLWIRE_SMTP_HOST", "BILLWIRE_SMTP_PORT", "BILLWIRE_SMTP_SECURITY", "BILLWIRE_API_URL")


async def billwire(cwd: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """A `billwire` command run in `cwd` (make run's checkout) without any server settings."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_cli.main", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(120):
        out, err = await proc.communicate()
    return proc.returncode, out.decode(), err.decode()


def line_of(report: str, name: str) -> str:
    return next(line for line in report.splitlines() if line.split()[1:2] == [name])


@pytest.mark.timeout(600)  # a whole stack and six CLI processes: minutes on a busy two-core machine
async def test_first_start_without_any_browser_then_one_appears() -> None:
    home = Path(tempfile.mkdtemp(prefix="billwire-first-start-"))
    home.chmod(0o755)  # the embedded Postgres may run as its own user and must reach var/
    var, port = home / "var", free_port()
    # No browser at the configured path (yet), and no Playwright build: rendering may look nowhere
    # else (a configured path is the only one it tries).
    chromium = home / "bin" / "chromium"
    (home / "playwright").mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED} | {
        "PORT": str(port), "BILLWIRE_DEV_PG_PORT": str(free_port()), "BILLWIRE_DEV_NATS_PORT": str(free_port()),
        "BILLWIRE_DEV_SMTP_PORT": str(free_port()), "BILLWIRE_CHROMIUM_EXECUTABLE": str(chromium),
        "PLAYWRIGHT_BROWSERS_PATH": str(home / "playwright"), "BILLWIRE_CHROMIUM_RECHECK_INTERVAL": "0.5",
    }
    cli_env = {k: v for k, v in env.items() if k not in CLI_ENV_DROPPED}
    seen: list[str] = []
    try:
        proc, key = await started(var, port, env, seen)
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
                ready = await http.get("/ready")
                assert ready.status_code == 200, ready.text
                rendering = ready.json()["services"]["rendering"]
                assert rendering["ready"] is False and "BILLWIRE_CHROMIUM_EXECUTABLE" in rendering["reason"]

                draft = await http.post("/api/v1/invoices", json={"client": BUYER, "lines": [{"description": "Work", "unit_price": "10"}]})
                assert draft.status_code == 201, draft.text
                pdf_url = f"/api/v1/invoices/{draft.json()['id']}/pdf"
                pdf = await http.get(pdf_url)
                assert pdf.status_code == 503 and pdf.json()["error"]["code"] == "RENDERER_UNAVAILABLE", pdf.text
                assert str(chromium) in pdf.json()["error"]["message"]

                # The CLI beside make run finds its servers (var/servers.env) without any settings.
                created, dead_letters, doctor = await asyncio.gather(
                    billwire(home, cli_env, "accounts", "create", "--name", "CLI GmbH"),
                    billwire(home, cli_env, "deadletters", "list"),
                    billwire(home, cli_env, "doctor"),
                )
                code, out, err = created
                assert code == 0, err
                second_key = next(line.split()[-1] for line in out.splitlines() if line.startswith("API key: "))
                profile = await http.get("/api/v1/settings/profile", headers={"Authorization": f"Bearer {second_key}"})
                assert profile.status_code == 200 and profile.json()["company_name"] == "CLI GmbH"
                assert dead_letters[0] == 0, dead_letters[2]

                code, report, err = doctor
                assert code == 1, report + err
                for name in ("Postgres", "NATS", "invoices", "mailer", "gateway", "SMTP", "disk"):
                    assert line_of(report, name).split()[0] == "ok", report
                assert line_of(report, "rendering").split()[0] == "FAIL" and "no browser" in line_of(report, "rendering")
                assert line_of(report, "Chromium").split()[0] == "FAIL" and str(chromium) in line_of(report, "Chromium")
                assert "fix: fix the path" in report

                chromium.parent.mkdir()
                os.symlink(find_chromium(install=False).path, chromium)  # a browser appears
                async with asyncio.timeout(60):
                    while not (await http.get("/ready")).json()["services"]["rendering"]["ready"]:
                        await asyncio.sleep(0.2)
                pdf = await http.get(pdf_url)
                assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text

                # All good now; and with a broken setting (an SMTP relay that is not there, too
                # little disk space) it says what is wrong.
                closed_port = str(free_port())
                broken = cli_env | {"BILLWIRE_SMTP_HOST": "127.0.0.1", "BILLWIRE_SMTP_PORT": closed_port}
                (code, report, err), broken_run = await asyncio.gather(
                    billwire(home, cli_env, "doctor"), billwire(home, broken, "doctor", "--min-free-gb", "1000000"),
                )
                assert code == 0 and "Everything is in order." in report, report + err
                code, report, err = broken_run
                assert code == 1, report + err
                assert line_of(report, "SMTP").split()[0] == "FAIL" and f"127.0.0.1:{closed_port}" in report
                assert "fix: check BILLWIRE_SMTP_HOST" in report
                assert line_of(report, "disk").split()[0] == "FAIL" and "free space" in report
                assert line_of(report, "Postgres").split()[0] == "ok", report
        finally:
            assert await stop(proc) == 0, "".join(seen[-40:])
        assert not any("stopping everything" in line for line in seen), "".join(seen[-40:])

        # make run is gone: the CLI says so in one line, with the fix, and no traceback.
        code, out, err = await billwire(home, cli_env, "accounts", "create", "--name", "Too late")
        assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "cannot reach the database" in err and "var/servers.env" in err and "make run" in err
    finally:
        shutil.rmtree(home, ignore_errors=True)
