"""The container around the service, without a Docker daemon: the entrypoint's checks of the folders an
operator mounts (run as the image's uid 10001), and docker-compose.yml as Compose itself reads it.
evals/bench/docker_smoke.py builds and runs the real image."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from app.settings import Settings

REPO = Path(__file__).resolve().parents[1]
ENTRYPOINT = REPO / "docker" / "entrypoint.sh"
IMAGE_USER = 10001


def run_entrypoint(cwd: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    """The entrypoint as the image's user. Run as root (CI), the test drops to uid 10001 with setpriv; the
    script comes on stdin and paths are relative to `cwd`, so that user needs no access above `cwd`."""
    cwd.chmod(0o755)
    prefix = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without util-linux's setpriv to drop to the image's uid")
        prefix = ["setpriv", f"--reuid={IMAGE_USER}", f"--regid={IMAGE_USER}", "--clear-groups"]
    return subprocess.run([*prefix, "sh", "-s", "--", *command], input=ENTRYPOINT.read_text(encoding="utf-8"),
                          cwd=cwd, env={"PATH": os.environ["PATH"], **env}, capture_output=True, text=True,
                          timeout=30)


def owned_by_image_user(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(path, IMAGE_USER, IMAGE_USER)
    return path


def unwritable(path: Path) -> Path:
    """A folder the image user may read but not write: root's (under root), or read-only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755 if os.geteuid() == 0 else 0o555)
    return path


def test_data_folder_the_user_cannot_write_is_refused_with_the_chown_fix(tmp_path: Path) -> None:
    unwritable(tmp_path / "data")
    run = run_entrypoint(tmp_path, {"POLICY_QA_DATA_DIR": "data"}, "echo", "served")
    assert run.returncode == 1 and "served" not in run.stdout
    user = f"{IMAGE_USER}:{IMAGE_USER}" if os.geteuid() == 0 else f"{os.getuid()}:{os.getgid()}"
    assert run.stderr.count("\n") == 1, f"want one line, got {run.stderr!r}"
    assert f"chown -R {user}" in run.stderr and "data is not writable" in run.stderr


def test_root_owned_index_inside_a_writable_data_folder_is_refused(tmp_path: Path) -> None:
    owned_by_image_user(tmp_path / "data")
    unwritable(tmp_path / "data" / "index")
    run = run_entrypoint(tmp_path, {"POLICY_QA_DATA_DIR": "data"}, "echo", "served")
    assert run.returncode == 1 and "data/index is not writable" in run.stderr


def test_missing_or_empty_corpus_folder_is_named_with_what_to_mount(tmp_path: Path) -> None:
    owned_by_image_user(tmp_path / "data")
    env = {"POLICY_QA_DATA_DIR": "data", "POLICY_QA_CORPUS_DIR": "corpus"}
    missing = run_entrypoint(tmp_path, env, "echo", "served")
    assert missing.returncode == 1 and "POLICY_QA_CORPUS_DIR=corpus is not a folder" in missing.stderr
    assert "-v /srv/policies:corpus" in missing.stderr
    owned_by_image_user(tmp_path / "corpus")
    empty = run_entrypoint(tmp_path, env, "echo", "served")
    assert empty.returncode == 1 and "corpus holds no documents" in empty.stderr


def test_good_folders_run_the_command(tmp_path: Path) -> None:
    owned_by_image_user(tmp_path / "data")
    (owned_by_image_user(tmp_path / "corpus") / "policy.txt").write_text("一、总体要求\n", encoding="utf-8")
    run = run_entrypoint(tmp_path, {"POLICY_QA_DATA_DIR": "data", "POLICY_QA_CORPUS_DIR": "corpus"},
                         "sh", "-c", "echo served as $(id -u)")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"served as {IMAGE_USER if os.geteuid() == 0 else os.getuid()}"


def compose_command() -> list[str] | None:
    """The Compose v2 plugin or Debian's docker-compose (v1); .ci/run installs the latter."""
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_compose_file_is_valid_and_points_the_app_at_its_milvus() -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    # Validation needs no daemon; an unreachable DOCKER_HOST proves it and keeps the test off any real one.
    run = subprocess.run([*command, "config"], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "DOCKER_HOST": "unix:///nonexistent.sock"})
    assert run.returncode == 0, f"docker-compose.yml is invalid: {run.stderr}"
    services = yaml.safe_load(run.stdout)["services"]
    app, env = services["app"], services["app"]["environment"]
    assert env["POLICY_QA_VECTOR_BACKEND"] == "milvus"
    uri = urlparse(env["POLICY_QA_MILVUS_URI"])
    assert uri.hostname in services and uri.port == 19530, f"the app's Milvus URI {uri.geturl()} is no service here"
    assert "milvus" in app["build"]["args"]["EXTRAS"].split(","), "the app image needs the milvus extra (pymilvus)"
    assert "condition: service_healthy" in yaml.safe_dump(app["depends_on"]), "the app starts before Milvus is up"
    milvus = services[uri.hostname]
    for name in ("ETCD_ENDPOINTS", "MINIO_ADDRESS"):
        host = milvus["environment"][name].split(":")[0]
        assert host in services, f"Milvus' {name} names {host}, which is no service here"
    unknown = [n for s in services.values() for n in s.get("environment", {})
               if n.startswith("POLICY_QA_") and n.removeprefix("POLICY_QA_").lower() not in Settings.model_fields]
    assert not unknown, f"docker-compose.yml sets {unknown}, which are not fields of app.settings.Settings"
