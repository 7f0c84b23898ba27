"""CPU an idle server burns: starts `policy-qa serve` on loopback (the data folder and embedder of the
environment), waits until it answers /healthz and one question, then reads /proc/<pid>/task/*/stat at the
start and end of a quiet window and prints core-seconds per second for the process and its busiest threads
(by thread name, which names the waker: the event loop is the main thread, OpenMP/torch workers, tqdm's
monitor, …). Prints Markdown; asserts nothing.

    python -m evals.bench.idle [--seconds 60] [--workers 1] [--port 8765]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")


def thread_ticks(pid: int) -> dict[str, int]:
    """utime+stime ticks per thread of `pid` and of its child processes, keyed "pid/tid name"."""
    out: dict[str, int] = {}
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        for task in Path(f"/proc/{p}/task").iterdir():
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue  # the thread ended
            name = stat[stat.index("(") + 1:stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2:].split()
            out[f"{p}/{task.name} {name}"] = int(fields[11]) + int(fields[12])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "policy_qa.cli", "serve", "--port", str(args.port),
                               "--workers", str(args.workers)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        httpx.post(f"{base}/api/ask", json={"question": "稀土产业产值目标是多少?"}, timeout=120)
        time.sleep(5)  # let the request's threads settle
        before, started = thread_ticks(server.pid), time.monotonic()
        time.sleep(args.seconds)
        after, elapsed = thread_ticks(server.pid), time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    used = {k: (after[k] - before.get(k, 0)) / TICK for k in after}
    total = sum(used.values())
    print(f"## Idle CPU over {elapsed:.0f} s, {args.workers} worker(s), {len(after)} threads\n")
    print(f"total: {total / elapsed:.4f} core-seconds per second\n")
    print("| thread | core-s/s |")
    print("|---|---|")
    for name, seconds in sorted(used.items(), key=lambda kv: -kv[1])[:8]:
        print(f"| {name} | {seconds / elapsed:.4f} |")


if __name__ == "__main__":
    main()
