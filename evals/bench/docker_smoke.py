"""Build the Docker image and run it for real: starts dockerd if none runs (as root), makes a local Debian base
image when no registry is reachable, builds, checks that the entrypoint refuses a /data the container cannot
write, runs the image, waits for HEALTHCHECK's "healthy", asks one question of the bundled set and checks the
answer's fact and its citation, then stops what it started (the container by id, dockerd by PID). Prints the
build time, image size and time to healthy. Not run by CI: one build takes minutes of both cores.

    python -m evals.bench.docker_smoke                  # packages from PyPI (and PyTorch's index for `st`)
    python -m evals.bench.docker_smoke --offline        # docker/wheelhouse only, built with no network at all
    python -m evals.bench.docker_smoke --extras milvus,st --build-arg TORCH_INDEX_URL=   # torch from the wheelhouse
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from evals.dataset import is_relevant, load_questions
from evals.metrics import fact_recall

REPO = Path(__file__).resolve().parents[2]
UPSTREAM_BASE = "python:3.11-slim"
LOCAL_BASE = "policy-qa-base:bookworm"
# Debian's own dockerd on this kind of host: no bridge or iptables, so containers use the host's network.
DOCKERD = ["dockerd", "--storage-driver=overlay2", "--iptables=false", "--ip6tables=false", "--bridge=none"]


class SmokeFailed(Exception):
    pass


def docker(*args: str, timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode:
        raise SmokeFailed(f"docker {' '.join(args[:3])} … failed: {result.stderr.strip()[-2000:]}")
    return result


def daemon_up() -> bool:
    return docker("info", timeout=30, check=False).returncode == 0


def start_daemon(log: Path) -> subprocess.Popen[bytes]:
    if not shutil.which("dockerd"):
        raise SmokeFailed("no Docker daemon runs and dockerd is not installed (apt-get install docker.io)")
    proc = subprocess.Popen(DOCKERD, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    for _ in range(60):
        if proc.poll() is not None:
            raise SmokeFailed(f"dockerd exited with {proc.returncode}; see {log}")
        if daemon_up():
            return proc
        time.sleep(1)
    proc.terminate()
    raise SmokeFailed(f"dockerd did not answer within 60 s; see {log}")


def apt_mirror() -> str:
    """The Debian mirror apt already uses, so debootstrap works wherever apt does (an intranet mirror too)."""
    for source in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        text = source.read_text(encoding="utf-8", errors="replace") if source.is_file() else ""
        found = re.search(r"^URIs:\s*(\S+/debian)\s*$", text, re.M) or re.search(r"^deb\s+(\S+/debian)\s", text, re.M)
        if found:
            return found.group(1)
    return "http://deb.debian.org/debian"


def local_base_image(work: Path) -> str:
    """A Debian bookworm image with Python 3.11, pip and venv, made with debootstrap and `docker import`."""
    if docker("image", "inspect", LOCAL_BASE, check=False).returncode == 0:
        return LOCAL_BASE
    if not shutil.which("debootstrap"):
        raise SmokeFailed("no registry is reachable and debootstrap is not installed (apt-get install debootstrap)")
    root = work / "rootfs"
    subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv,python-is-python3,"
                    "ca-certificates", "bookworm", str(root), apt_mirror()],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)  # the .debs debootstrap unpacked
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["docker", "import", "--change", "CMD [\"python3\"]", "-", LOCAL_BASE], stdin=tar.stdout,
                   check=True, stdout=subprocess.DEVNULL)
    tar.wait()
    shutil.rmtree(root)
    return LOCAL_BASE


def base_image(requested: str | None, work: Path) -> str:
    if requested:
        return requested
    if docker("image", "inspect", UPSTREAM_BASE, check=False).returncode == 0:
        return UPSTREAM_BASE
    try:
        if docker("pull", UPSTREAM_BASE, timeout=120, check=False).returncode == 0:
            return UPSTREAM_BASE
    except subprocess.TimeoutExpired:
        pass
    print(f"{UPSTREAM_BASE} cannot be pulled: using {LOCAL_BASE}, made with debootstrap", flush=True)
    return local_base_image(work)


def build(tag: str, base: str, extras: str, offline: bool, build_args: list[str], log: Path) -> None:
    args = ["build", "-t", tag, "--build-arg", f"BASE_IMAGE={base}", "--build-arg", f"EXTRAS={extras}"]
    args += [word for arg in build_args for word in ("--build-arg", arg)]
    if offline:  # no index and no network: everything from docker/wheelhouse, as on an air-gapped intranet
        args += ["--network", "none", "--build-arg", "INDEX_URL=", "--build-arg", "TORCH_INDEX_URL="]
    else:
        args += ["--network", "host"]
    with log.open("w") as out:
        done = subprocess.run(["docker", *args, str(REPO)], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        tail = log.read_text(errors="replace").splitlines()[-25:]
        raise SmokeFailed("docker build failed:\n" + "\n".join(tail))


def refuses_unwritable_data(tag: str, work: Path) -> str:
    """The entrypoint's message for a bind-mounted /data that only root may write."""
    data = work / "root-owned-data"
    data.mkdir(mode=0o755)
    run = docker("run", "--rm", "--network", "none", "-v", f"{data}:/data", tag, check=False, timeout=120)
    message = run.stderr.strip()
    if run.returncode == 0 or "chown -R 10001:10001" not in message or "Traceback" in message:
        raise SmokeFailed(f"a root-owned /data was not refused with the chown fix (exit {run.returncode}): {message}")
    return message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_healthy(container: str, base_url: str, timeout_s: float) -> tuple[float, float]:
    """Seconds until /healthz first answers 200, and until Docker's HEALTHCHECK reports healthy."""
    started = time.monotonic()
    first_answer = None
    while time.monotonic() - started < timeout_s:
        if first_answer is None and answers(f"{base_url}/healthz"):
            first_answer = time.monotonic() - started
        state = json.loads(docker("inspect", "-f", "{{json .State}}", container).stdout)
        if state["Health"]["Status"] == "healthy":
            return first_answer or time.monotonic() - started, time.monotonic() - started
        if not state["Running"]:
            logs = docker("logs", "--tail", "20", container, check=False)
            raise SmokeFailed(f"the container exited ({state['ExitCode']}):\n{logs.stdout}{logs.stderr}")
        time.sleep(0.5)
    raise SmokeFailed(f"not healthy within {timeout_s:.0f} s")


def http_json(url: str, body: dict | None = None) -> dict | list:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def check_answer(base_url: str) -> str:
    """Asks the bundled set's first answerable question; the answer must state its gold facts and cite the
    gold passage."""
    question = next(q for q in load_questions() if q.answerable and q.facts and q.gold)
    doc_ids = {d["source_file"]: d["doc_id"] for d in http_json(f"{base_url}/api/documents")}
    reply = http_json(f"{base_url}/api/ask", {"question": question.question})
    cited = [c for c in reply["citations"] if any(is_relevant(g, c, doc_ids) for g in question.gold)]
    if reply["abstained"] or fact_recall(reply["answer"], question.facts) != 1.0 or not cited:
        raise SmokeFailed(f"wrong answer to {question.question!r} (want {question.facts} citing {question.gold}): "
                          f"{json.dumps(reply, ensure_ascii=False)[:1500]}")
    return f"{question.question} → {reply['answer'][:80]}… [cites {cited[0]['chunk_id']}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-image", help=f"default: {UPSTREAM_BASE} if it can be pulled, else a local one")
    parser.add_argument("--extras", default="", help="the EXTRAS build argument (milvus, st)")
    parser.add_argument("--offline", action="store_true", help="build from docker/wheelhouse with no network")
    parser.add_argument("--build-arg", action="append", default=[], metavar="NAME=VALUE",
                        help="passed to docker build, e.g. TORCH_INDEX_URL= for torch from the wheelhouse")
    parser.add_argument("--tag", default="policy-qa:smoke")
    parser.add_argument("--healthy-timeout", type=float, default=900)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="policy-qa-smoke-"))
    daemon = container = None
    try:
        if not daemon_up():
            daemon = start_daemon(work / "dockerd.log")
            print(f"started dockerd (PID {daemon.pid}, log {work / 'dockerd.log'})", flush=True)
        base = base_image(args.base_image, work)
        started = time.monotonic()
        build(args.tag, base, args.extras, args.offline, args.build_arg, work / "build.log")
        build_s = time.monotonic() - started
        size = int(docker("image", "inspect", "-f", "{{.Size}}", args.tag).stdout)
        print(f"build: {build_s:.0f} s from {base}{' offline' if args.offline else ''}, extras "
              f"'{args.extras}' (log {work / 'build.log'}); image {size / 1e9:.2f} GB", flush=True)
        print(f"root-owned /data: {refuses_unwritable_data(args.tag, work)}", flush=True)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        # Host network (dockerd may run without a bridge): the port is chosen free instead of published.
        container = docker("run", "-d", "--network", "host", "-e", f"POLICY_QA_PORT={port}", args.tag).stdout.strip()
        first_answer, healthy = wait_healthy(container, base_url, args.healthy_timeout)
        print(f"/healthz answered after {first_answer:.1f} s; HEALTHCHECK healthy after {healthy:.1f} s "
              "(probes every 10 s)", flush=True)
        print(f"answer: {check_answer(base_url)}")
        print("smoke: ok")
    except (SmokeFailed, subprocess.CalledProcessError, OSError) as exc:
        print(f"smoke failed: {exc}", file=sys.stderr)
        sys.exit(1)
    finally:
        if container:
            docker("rm", "-f", container, check=False)
        if daemon:
            daemon.terminate()
            daemon.wait(timeout=60)
        shutil.rmtree(work / "root-owned-data", ignore_errors=True)


if __name__ == "__main__":
    main()
