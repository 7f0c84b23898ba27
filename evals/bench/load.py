"""Throughput and latency of POST /api/ask under concurrent load, against a real `policy-qa serve` process
per worker count: requests/s, p50/p95/p99 latency and errors, and the throughput ratio between the first
and the last worker count. Prints figures only (no pass/fail); traffic goes to 127.0.0.1 only.

    python -m evals.bench.load [--data-dir DIR] [--workers 1 2] [--requests 320] [--concurrency 32]
                               [--server-env OMP_NUM_THREADS=1 ...] [--one-core-per-worker] [--long-clients 2]

--long-clients N measures the short questions twice on the same server: alone, then while N more clients keep
asking 1,000-character questions through the same gate, and prints the p50/p95 ratios of the two.

--one-core-per-worker pins a server of N workers to N cores (sched_setaffinity), which shows whether
throughput grows with workers when each brings its own core (nothing serialises across workers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from evals.dataset import load_questions

HOST = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunResult:
    workers: int
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_s: float
    client_cpu_s: float
    machine_cpu_s: float  # busy CPU seconds of the whole machine during the run, all processes
    long_clients: int = 0  # clients asking 1,000-character questions meanwhile
    long_latencies_ms: list[float] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def pct(self, q: float, long: bool = False) -> float:
        """The q-th percentile latency of the short questions, or of the long ones."""
        values = self.long_latencies_ms if long else self.latencies_ms
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def tree_cpu_seconds(pid: int) -> float:
    """User+system CPU seconds of `pid` and its direct children (the uvicorn workers), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                pids += [int(c) for c in (task / "children").read_text().split()]
    total = 0.0
    for p in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_busy_seconds() -> float:
    """Busy (non-idle, non-iowait) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Server:
    """`policy-qa serve` in its own process group; stop() sends SIGTERM, then SIGKILL, each bounded."""

    def __init__(self, data_dir: Path, port: int, workers: int, extra_env: dict[str, str],
                 cores: set[int] | None = None) -> None:
        env = dict(os.environ)
        env.update({"POLICY_QA_DATA_DIR": str(data_dir), "POLICY_QA_RATE_LIMIT_PER_MINUTE": "1000000",
                    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
        env.update(extra_env)
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="policy-qa-load-", suffix=".log", delete=False)  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "policy_qa.cli", "serve", "--host", HOST, "--port", str(port),
             "--workers", str(workers)],
            cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError(f"server not healthy after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # the group this script created for the server
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # workers left behind by a supervisor that died first
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


async def drive(base: str, questions: list[str], total: int, concurrency: int, timeout_s: float,
                long_questions: list[str] | None = None,
                long_clients: int = 0) -> tuple[list[float], int, float, list[float]]:
    """`total` POST /api/ask from `concurrency` clients, while `long_clients` more keep asking `long_questions`
    until those are done; returns (latencies of the 200s in ms, errors, wall seconds, latencies of the long)."""
    latencies: list[float] = []
    long_latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    done = asyncio.Event()
    limits = httpx.Limits(max_connections=concurrency + long_clients,
                          max_keepalive_connections=concurrency + long_clients)

    async with httpx.AsyncClient(base_url=base, timeout=timeout_s, limits=limits) as client:
        async def ask(question: str, into: list[float]) -> bool:
            started = time.perf_counter()
            try:
                r = await client.post("/api/ask", json={"question": question})
                ok = r.status_code == 200 and "answer" in r.json()
            except (httpx.HTTPError, ValueError):
                ok = False
            if ok:
                into.append((time.perf_counter() - started) * 1000)
            return ok

        async def one_client() -> None:
            nonlocal errors
            for i in counter:
                errors += not await ask(questions[i % len(questions)], latencies)

        async def long_client(offset: int) -> None:
            i = offset
            while not done.is_set():
                await ask(long_questions[i % len(long_questions)], long_latencies)
                i += 1

        background = [asyncio.create_task(long_client(i)) for i in range(long_clients if long_questions else 0)]
        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        done.set()
        await asyncio.gather(*background)
        return latencies, errors, seconds, long_latencies


def run(args: argparse.Namespace, workers: int, questions: list[str], long_questions: list[str]) -> list[RunResult]:
    """One server of `workers`: the short-question load alone, then (with --long-clients) the same load while
    that many clients keep asking 1,000-character questions, measured one after the other on the same server."""
    extra_env = dict(kv.split("=", 1) for kv in args.server_env)
    cores = set(sorted(os.sched_getaffinity(0))[:workers]) if args.one_core_per_worker else None
    server = Server(args.data_dir, args.port or free_port(), workers, extra_env, cores)
    results = []
    try:
        server.wait_ready(args.ready_timeout)
        # Warm-up: enough concurrent rounds that every worker has loaded its index and answered (a worker
        # that is still starting does not accept connections yet, so /healthz alone proves only one).
        for _ in range(args.warmup_rounds):
            asyncio.run(drive(server.base, questions, args.concurrency, args.concurrency, args.timeout))
        if args.long_clients:  # both measured runs then meet only warm paths (the English lexicon loads once)
            asyncio.run(drive(server.base, questions, args.requests, args.concurrency, args.timeout,
                              long_questions, 1))
        for long_clients in sorted({0, args.long_clients}):
            cpu_before, own_before, busy_before = (tree_cpu_seconds(server.proc.pid), own_cpu_seconds(),
                                                   machine_busy_seconds())
            latencies, errors, seconds, long_latencies = asyncio.run(
                drive(server.base, questions, args.requests, args.concurrency, args.timeout, long_questions,
                      long_clients))
            cpu = tree_cpu_seconds(server.proc.pid) - cpu_before
            own, busy = own_cpu_seconds() - own_before, machine_busy_seconds() - busy_before
            results.append(RunResult(workers, args.requests, errors, seconds, latencies, cpu, own, busy,
                                     long_clients, long_latencies))
        if server.proc.poll() is not None:
            print(f"server died during the run:\n{server.log_tail()}", file=sys.stderr)
        return results
    finally:
        server.stop()


def long_questions_from(questions: list[str], chars: int = 1000) -> list[str]:
    """Questions of exactly `chars` characters made of the real ones run together (the API's longest)."""
    joined = "".join(questions)
    return [(joined[i:] + joined)[:chars] for i in range(0, len(joined), max(1, len(joined) // 8))][:8]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup-rounds", type=int, default=3, help="rounds of --concurrency requests")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--timeout", type=float, default=120.0, help="per request, seconds")
    parser.add_argument("--ready-timeout", type=float, default=180.0)
    parser.add_argument("--server-env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the server process, e.g. OMP_NUM_THREADS=1")
    parser.add_argument("--one-core-per-worker", action="store_true",
                        help="pin a server of N workers to N cores")
    parser.add_argument("--long-clients", type=int, default=0,
                        help="also measure the load while this many clients ask 1,000-character questions")
    args = parser.parse_args()
    args.data_dir = args.data_dir.resolve()
    questions = [q.question for q in load_questions()]
    long_questions = long_questions_from(questions)

    print(f"POST /api/ask, {args.requests} requests, {args.concurrency} concurrent clients, "
          f"{len(questions)} questions cycled, {os.cpu_count()} CPUs"
          + (", server pinned to one core per worker" if args.one_core_per_worker else "")
          + (f", server env {' '.join(args.server_env)}" if args.server_env else ""))
    print(f"{'workers':>7} {'long':>4} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'wall s':>7} {'srv cpu s':>9} {'cpu ms/req':>10} {'client cpu s':>12} {'other procs cpu s':>17} "
          f"{'long done':>9} {'long p50 ms':>11}")
    results = []
    for w in args.workers:
        for r in run(args, w, questions, long_questions):
            results.append(r)
            print(f"{w:>7} {r.long_clients:>4} {r.throughput:>8.1f} {r.pct(50):>8.0f} {r.pct(95):>8.0f} "
                  f"{r.pct(99):>8.0f} {r.errors:>6} {r.seconds:>7.1f} {r.server_cpu_s:>9.1f} "
                  f"{r.server_cpu_s * 1000 / max(1, r.requests):>10.1f} {r.client_cpu_s:>12.1f} "
                  f"{r.machine_cpu_s - r.server_cpu_s - r.client_cpu_s:>17.1f} {len(r.long_latencies_ms):>9} "
                  f"{r.pct(50, long=True):>11.0f}", flush=True)
        if args.long_clients:
            alone, mixed = results[-2], results[-1]
            print(f"short questions with {args.long_clients} long-question clients / alone, {w} workers: "
                  f"p50 {mixed.pct(50) / alone.pct(50):.2f}x, p95 {mixed.pct(95) / alone.pct(95):.2f}x "
                  "(issue 15 target: within 2x)")
    short_only = [r for r in results if not r.long_clients]
    if len(short_only) > 1 and short_only[0].throughput:
        first, last = short_only[0], short_only[-1]
        print(f"throughput ratio {last.workers}w/{first.workers}w: {last.throughput / first.throughput:.2f}x")


if __name__ == "__main__":
    main()
