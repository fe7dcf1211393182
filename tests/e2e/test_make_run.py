"""`make run` (`billwire run`) on a clean machine: embedded Postgres and NATS, every service,
a first account and its key, a working API, and a clean stop on Ctrl-C (no error logged)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import httpx

from billwire_cli.embedded import free_port

ENV_DROPPED = ("DATABASE_URL", "NATS_URL", "BILLWIRE_PREFIX")


async def read_until(stream: asyncio.StreamReader, pattern: str, seen: list[str], timeout: float) -> re.Match[str]:
    async with asyncio.timeout(timeout):
        while line := (await stream.readline()).decode(errors="replace"):
            seen.append(line)
            if match := re.search(pattern, line):
                return match
    raise AssertionError("billwire run ended before printing " + pattern + ":\n" + "".join(seen[-40:]))


async def start(var: Path, port: int, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "billwire_cli.main", "run", "--var-dir", str(var), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )


async def started(var: Path, port: int, env: dict[str, str], seen: list[str]) -> tuple[asyncio.subprocess.Process, str]:
    """`billwire run` on a fresh var/, once it printed the first account's API key (stopped again
    when it never does)."""
    proc = await start(var, port, env)
    try:
        return proc, (await read_until(proc.stdout, r"^API key: (bw_\S+)\s*$", seen, 120)).group(1)
    except BaseException:
        await stop(proc)
        raise


async def stop(proc: asyncio.subprocess.Process) -> int:
    """Ctrl-C; the exit code, after checking that nothing went wrong on the way down (Playwright's
    driver, signalled together with the rendering service, once died under its shutdown)."""
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
    async with asyncio.timeout(60):
        out, _ = await proc.communicate()
    shutdown = out.decode(errors="replace").partition("billwire run: stopping")[2]
    assert shutdown, "billwire run did not say it was stopping"
    assert not re.search(r"\bERROR\b|Traceback|never retrieved", shutdown), shutdown
    assert "is being executed" not in shutdown, shutdown  # FastStream's task notes are DEBUG
    return proc.returncode


async def test_billwire_run_starts_everything_prints_a_key_and_stops_cleanly() -> None:
    home = Path(tempfile.mkdtemp(prefix="billwire-make-run-"))
    home.chmod(0o755)  # the embedded Postgres may run as its own user and must reach var/
    var, port = home / "var", free_port()
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED} | {
        "PORT": str(port), "BILLWIRE_DEV_PG_PORT": str(free_port()), "BILLWIRE_DEV_NATS_PORT": str(free_port()),
    }
    seen: list[str] = []
    try:
        proc, key = await started(var, port, env, seen)
        try:
            base = f"http://127.0.0.1:{port}"
            password = (await read_until(proc.stdout, r"password: (\S+)  \(change it at first sign-in\)", seen, 10)).group(1)
            credentials = (var / "dev-credentials.env").read_text()
            assert f"BILLWIRE_API_KEY={key}" in credentials and f"BILLWIRE_API_URL={base}/api/v1" in credentials
            assert f"BILLWIRE_WEB_URL={base}/" in credentials and f"BILLWIRE_WEB_PASSWORD={password}" in credentials
            assert "BILLWIRE_WEB_EMAIL=owner@billwire.localhost" in credentials
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as http:
                assert (await http.get("/ready")).json()["ready"] is True
                created = await http.post("/api/v1/clients", json={"name": "First client"})
                assert created.status_code == 201, created.text
            async with httpx.AsyncClient(base_url=base) as browser:  # the web app takes the printed sign-in
                form = await browser.get("/login")
                token = re.search(r'name="_csrf" value="([^"]+)"', form.text).group(1)
                signed_in = await browser.post("/login", data={"_csrf": token, "email": "owner@billwire.localhost", "password": password})
                assert signed_in.status_code == 303 and signed_in.headers["location"] == "/password"
        finally:
            code = await stop(proc)
        assert code == 0, "".join(seen[-40:])

        # A second run reuses var/: same data, no new key printed.
        proc = await start(var, port, env)
        try:
            await read_until(proc.stdout, r"Billwire is running", seen, 120)
            assert not any(line.startswith("API key: bw_") for line in seen[-12:])
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}) as http:
                names = [c["name"] for c in (await http.get("/api/v1/clients")).json()["items"]]
            assert names == ["First client"]
        finally:
            assert await stop(proc) == 0
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def test_a_stop_as_soon_as_the_first_start_is_ready_keeps_the_first_account() -> None:
    """Ctrl-C the moment /ready answers (the footprint bench does): the first account already
    exists, so its key is saved before stopping and the next start uses it, not a second account."""
    home = Path(tempfile.mkdtemp(prefix="billwire-make-run-"))
    home.chmod(0o755)
    var, port = home / "var", free_port()
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROPPED} | {
        "PORT": str(port), "BILLWIRE_DEV_PG_PORT": str(free_port()), "BILLWIRE_DEV_NATS_PORT": str(free_port()),
        "BILLWIRE_DEV_SMTP_PORT": str(free_port()),
    }
    seen: list[str] = []
    try:
        proc = await start(var, port, env)
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http, asyncio.timeout(120):
                while True:
                    try:
                        if (await http.get("/ready")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.05)
        finally:
            assert await stop(proc) == 0
        key = next(line.split("=", 1)[1] for line in (var / "dev-credentials.env").read_text().splitlines()
                   if line.startswith("BILLWIRE_API_KEY="))

        proc = await start(var, port, env)
        try:
            await read_until(proc.stdout, r"Billwire is running", seen, 120)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}) as http:
                assert (await http.get("/api/v1/clients")).status_code == 200
        finally:
            assert await stop(proc) == 0
    finally:
        shutil.rmtree(home, ignore_errors=True)
