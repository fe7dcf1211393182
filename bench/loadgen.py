"""One load generator for both scenarios: wrk when installed, else `bench.pyload`.

Either runs as a separate process, closed-loop with keep-alive connections, and yields a
`LoadResult`: throughput, latency percentiles, every status seen and socket errors.
"""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field

from bench.config import BENCH_DIR, REPO_ROOT, BenchConfig
from bench.procs import BenchError, stop_process

WRK_SCRIPT = BENCH_DIR / "wrk_script.lua"


@dataclass(frozen=True)
class Target:
    """What to hammer: a URL, a JSON body and extra headers; `expect` is the status wanted."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    expect: int = 201


@dataclass
class LoadResult:
    tool: str
    requests: int
    seconds: float
    rps: float  # every response; see ok_rps
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    loadgen_cpu_pct: float = 0.0  # of one core, over the measured run
    raw_tail: str = ""

    def ok_rps(self, expect: int) -> float:
        """Responses with the wanted status per second (errors are not throughput)."""
        return self.statuses.get(str(expect), 0) / self.seconds if self.seconds else 0.0

    def unexpected(self, expect: int) -> int:
        """Responses that were not `expect`, plus socket errors."""
        other = sum(n for status, n in self.statuses.items() if status != str(expect))
        return other + sum(self.socket_errors.values())

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("raw_tail")
        return data


def pick_tool(config: BenchConfig) -> str:
    """`wrk` when it is on PATH (or forced), else `python`."""
    if config.loadgen == "python":
        return "python"
    if shutil.which("wrk"):
        return "wrk"
    if config.loadgen == "wrk":
        raise BenchError("BILLWIRE_BENCH_LOADGEN=wrk but wrk is not installed (apt-get install -y wrk)")
    return "python"


def run_load(tool: str, target: Target, seconds: int, config: BenchConfig) -> LoadResult:
    """Drive `target` for `seconds` with `config.connections` connections."""
    if tool == "wrk":
        return _run_wrk(target, seconds, config)
    return _run_python(target, seconds, config)


def _lua_script(target: Target) -> str:
    body = target.body.decode()
    if "]==]" in body:
        raise BenchError("request body cannot be embedded in the wrk script")
    headers = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in target.headers.items())
    return WRK_SCRIPT.read_text().replace("{{BODY}}", body).replace("{{HEADERS}}", headers)


def _run_wrk(target: Target, seconds: int, config: BenchConfig) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-") as script:
        script.write(_lua_script(target))
        script.flush()
        argv = [
            "wrk", "--latency", "-t", str(min(config.threads, config.connections)), "-c", str(config.connections),
            "-d", f"{seconds}s", "--timeout", "30s", "-s", script.name, target.url,
        ]  # fmt: skip
        out, cpu = _run_measured(argv, seconds)
    match = re.search(r"^BENCH_RESULT (\{.*\})$", out, re.MULTILINE)
    if not match:
        raise BenchError(f"could not read wrk's result; its output was:\n{out}")
    data = json.loads(match.group(1))
    duration = data["duration_us"] / 1e6
    return LoadResult(
        tool="wrk", requests=data["requests"], seconds=duration, rps=data["requests"] / duration,
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000, statuses=data["statuses"],
        socket_errors={k: v for k, v in data["errors"].items() if k != "status" and v},
        loadgen_cpu_pct=cpu / duration * 100, raw_tail=out,
    )  # fmt: skip


def _run_python(target: Target, seconds: int, config: BenchConfig) -> LoadResult:
    argv = [
        sys.executable, "-m", "bench.pyload", "--url", target.url, "--seconds", str(seconds),
        "--connections", str(config.connections), "--body", target.body.decode(),
    ]  # fmt: skip
    for name, value in target.headers.items():
        argv += ["--header", f"{name}: {value}"]
    out, cpu = _run_measured(argv, seconds)
    try:
        data = json.loads(out.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise BenchError(f"could not read bench.pyload's result; its output was:\n{out}") from None
    return LoadResult(
        tool="python", requests=data["requests"], seconds=data["seconds"], rps=data["requests"] / data["seconds"],
        p50_ms=data["p50_ms"], p99_ms=data["p99_ms"], statuses=data["statuses"], socket_errors=data["errors"],
        loadgen_cpu_pct=cpu / data["seconds"] * 100, raw_tail=out,
    )  # fmt: skip


def _run_measured(argv: list[str], seconds: int) -> tuple[str, float]:
    """Run the generator; return its stdout and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(
        argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = proc.communicate(timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{argv[0]} did not finish within {seconds + 120}s") from None
    finally:
        stop_process(proc, timeout=5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise BenchError(f"{' '.join(argv[:3])} ... failed with code {proc.returncode}:\n{text}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return text, cpu


def warm_up(tool: str, target: Target, config: BenchConfig) -> LoadResult:
    """A short discarded run so caches, pools and JITs are warm before measuring."""
    return run_load(tool, target, config.warmup_seconds, config)
