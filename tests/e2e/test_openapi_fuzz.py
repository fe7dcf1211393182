"""The OpenAPI document and the server agree: schemathesis (its `st` command, as a user would run
it) fuzzes every operation of /schema/openapi.json against the real gateway, invoices and
rendering services with a fixed seed, and finds nothing.

Checks: server errors, documented status codes, content types, response headers, response
bodies against their schemas, input the schema allows is taken and input it does not allow is
refused (positive and negative data acceptance; tests/e2e/schemathesis.toml names the operations
whose business rules answer 400/422 to allowed input), a request without a key is a 401, a method
a path does not document is a 405 with an Allow header and OPTIONS lists exactly the documented
methods (the coverage phase's probes, tests/e2e/openapi_fuzz_hooks.py), and what a POST made can
be read and, once deleted, is gone (the stateful phase, over the links of the document).
Requests go out with keys of a fuzz account of its own, a different one each time (tests/e2e/
openapi_fuzz_hooks.py), so the gateway's real per-key limit of 100 a minute stays in force and
never answers in the fuzzer's place.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from billwire_mailer.app import MailerService
from billwire_rendering.app import RenderingService
from tests.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261204
EXAMPLES_PER_OPERATION = 30
KEYS = 30  # 2,000+ cases in under 3 minutes is ~700 a minute: far under 100 a minute per key
# Every check schemathesis has but max_response_time (a timed assertion, 10 s, on a shared
# machine). unsupported_method, allow_header_conformance and missing_required_header act in the
# coverage phase only, use_after_free and ensure_resource_availability in the stateful one;
# object_level_authorization needs two identities as `[auth.wfc]` peers, each with one fixed key,
# which the per-key limit would answer for (schemathesis says so and skips it).
PHASES = ("Examples", "Coverage", "Fuzzing", "Stateful")
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance", "response_headers_conformance",
    "response_schema_conformance", "positive_data_acceptance", "negative_data_rejection", "ignored_auth",
    "unsupported_method", "allow_header_conformance", "missing_required_header", "use_after_free",
    "ensure_resource_availability", "object_level_authorization",
])
# Rules JSON Schema cannot state (a buyer that must exist, a VAT id's checksum, an opaque cursor):
# the operations that answer 400 or 422 for them to input the schema allows.
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def mailer(stack: Stack) -> AsyncIterator[MailerService]:
    """The mailer too: the documented examples make real documents whose ids the fuzzer then sends
    (with `?wait=`). Its relay is down and it tries once, so each send ends failed at once and
    nothing leaves the machine."""
    async with stack.mailer_service(send_attempts=1) as service:
        yield service


async def test_schemathesis_finds_nothing_in_two_thousand_cases(stack: Stack, rendering: RenderingService, mailer: MailerService) -> None:
    _, admin_key = await stack.new_account("Fuzz GmbH")
    admin = stack.api(admin_key)
    keys, key_ids = [], []
    for number in range(KEYS):
        created = await admin.post("/settings/api-keys", json={"name": f"fuzz {number}", "scopes": ["admin"]})
        assert created.status_code == 201, created.text
        keys.append(created.json()["key"])
        key_ids.append(created.json()["id"])

    # Failed-auth limits are another test's subject: the fuzzer's key-less probes must not trip them.
    async with stack.served(rate_limit_per_minute=100, auth_failures_per_minute=100_000) as base:
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("st")), "--config-file", str(CONFIG), "run", f"{base}/schema/openapi.json",
            "--checks", CHECKS, "--phases", ",".join(phase.lower() for phase in PHASES), "--max-examples", str(EXAMPLES_PER_OPERATION),
            "--request-timeout", "60",
            "--seed", str(SEED), "--generation-deterministic", "--workers", "4", "--no-color",
            "--suppress-health-check", "all",
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env=os.environ | {
                "SCHEMATHESIS_HOOKS": "tests.e2e.openapi_fuzz_hooks", "BILLWIRE_FUZZ_KEYS": ",".join(keys),
                "BILLWIRE_FUZZ_KEY_IDS": ",".join(key_ids),
                "PYTHONPATH": str(ROOT), "COLUMNS": "200",
            },
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
        except TimeoutError:  # over budget: stop the fuzzer (no process outlives the test) and show what it said
            process.kill()
            output, _ = await process.communicate()
        elapsed = time.monotonic() - started
    report = output.decode(errors="replace")
    cases = re.search(r"(\d+) generated", report)
    phases = re.findall(r"^ *\S+ +(?:{}) \(in [\d.]+s\)".format("|".join(PHASES)), report, re.MULTILINE)
    print(f"schemathesis: {cases.group(1) if cases else '?'} cases in {elapsed:.0f} s;", "; ".join(p.strip() for p in phases))
    assert process.returncode == 0, report[-20_000:]
    assert cases is not None and int(cases.group(1)) >= 2000, report[-3000:]
    assert "Selected: " in report and re.search(r"Tested: (\d+)", report), report[-3000:]
    for phase in PHASES:  # each ran and passed (a skipped one leaves its checks idle)
        assert re.search(rf"^ *✅ +{phase} \(in ", report, re.MULTILINE), (phase, report[-3000:])
    # Every key still lets its holder in: a key the fuzzer revoked or narrowed would have turned
    # its share of the cases into 401s or 403s that no check but the key's looks past.
    still = [(await stack.api(key).get("/usage")).status_code for key in keys]
    assert not {401, 403} & set(still), still
    assert elapsed < 180, f"the fuzz run took {elapsed:.0f} s"
