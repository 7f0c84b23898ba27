"""The Dockerfile stays in step with the project, checked without a Docker daemon: the base image, the build
arguments for package sources, the torch pin and install order of README.md, COPY sources, the entrypoint,
the console script and its subcommands, the port, the health route, the runtime user and the POLICY_QA_*
variables it sets. evals/bench/docker_smoke.py builds and runs it for real."""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
SCRIPT = "policy-qa"


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper-cased, e.g. "RUN"
    args: str  # everything after the keyword, continuation lines joined


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order; comments dropped, backslash continuations joined (default escape char)."""
    instructions: list[Instruction] = []
    buffer = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            buffer += line[:-1].rstrip() + " "
            continue
        buffer += line
        if buffer.strip():
            keyword, _, args = buffer.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), args.strip()))
        buffer = ""
    if buffer.strip():
        keyword, _, args = buffer.strip().partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip()))
    return instructions


def words(args: str) -> list[str]:
    """Arguments of an exec-form (JSON array) or shell-form instruction, as a list."""
    if args.startswith("["):
        return json.loads(args)
    return shlex.split(args)


def env_values(instructions: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in (i for i in instructions if i.keyword == "ENV"):
        parts = shlex.split(ins.args)
        if parts and "=" not in parts[0]:  # legacy form: ENV KEY value with spaces
            env[parts[0]] = " ".join(parts[1:])
        else:
            env.update(part.split("=", 1) for part in parts)
    return env


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    """Each build argument's default (ARG NAME=value; an ARG without one defaults to empty)."""
    return dict((*ins.args.split("=", 1), "")[:2] for ins in instructions if ins.keyword == "ARG")


def with_defaults(text: str, args: dict[str, str]) -> str:
    """`text` with ${NAME} / $NAME of build arguments replaced by their defaults."""
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), text)


def script_invocations(instructions: list[Instruction]) -> list[tuple[int, list[str]]]:
    """(position, argv) of every `policy-qa …` call in RUN and CMD instructions."""
    calls = []
    for pos, ins in enumerate(instructions):
        if ins.keyword not in ("RUN", "CMD", "ENTRYPOINT"):
            continue
        if ins.args.startswith("["):
            argv = words(ins.args)
            if argv and argv[0] == SCRIPT:
                calls.append((pos, argv))
            continue
        for command in re.split(r"&&|\|\||;", ins.args):
            argv = shlex.split(command)
            if argv and argv[0] == SCRIPT:
                calls.append((pos, argv))
    return calls


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    assert DOCKERFILE.is_file(), "Dockerfile is missing at the repository root"
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def readme_torch_pin() -> str:
    """The torch version pinned in README.md's first install command."""
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("    ") and "pip install" in line:
            match = re.search(r"torch==([\w.+-]+)", line)
            assert match, f"README.md's first install command has no torch==X pin: {line.strip()!r}"
            return match.group(1)
    raise AssertionError("README.md has no indented `pip install` command to read the torch pin from")


def test_base_image_defaults_to_python_311_slim(dockerfile: list[Instruction]) -> None:
    args = arg_defaults(dockerfile)
    froms = [with_defaults(next(w for w in i.args.split() if not w.startswith("--")), args)
             for i in dockerfile if i.keyword == "FROM"]
    assert froms, "Dockerfile has no FROM; start it with `FROM python:3.11-slim`"
    assert froms[-1] == "python:3.11-slim", (
        f"final stage is based on {froms[-1]!r} by default; use python:3.11-slim (pyproject requires Python 3.11)")


def test_every_build_argument_is_used(dockerfile: list[Instruction]) -> None:
    # An argument nothing reads is silently ignored: an operator's --build-arg INDEX_URL=… would change nothing.
    used = " ".join(i.args for i in dockerfile if i.keyword != "ARG")
    unused = [name for name in arg_defaults(dockerfile) if not re.search(rf"\$\{{?{name}\b", used)]
    assert not unused, f"build arguments {unused} are declared but never used"
    sources = {"INDEX_URL", "EXTRA_INDEX_URL", "WHEELHOUSE", "TORCH_INDEX_URL"}
    assert sources <= set(arg_defaults(dockerfile)), (
        f"package sources must be build arguments; missing {sorted(sources - set(arg_defaults(dockerfile)))}")


def test_ca_bundle_reaches_the_pip_that_fetches_build_requirements(dockerfile: list[Instruction]) -> None:
    # pip before 25.0 gives --cert only to the outer pip; the pip it starts to fetch setuptools (to build the
    # project) reads the environment. With --cert, a build behind an internal CA fails with CERTIFICATE_VERIFY_FAILED.
    runs = " ".join(i.args for i in dockerfile if i.keyword == "RUN")
    assert "--cert" not in runs, "pass CA_BUNDLE to pip as PIP_CERT, not --cert (pip < 25 drops it for build deps)"
    assert re.search(r'export PIP_CERT="?/wheelhouse/\$\{?CA_BUNDLE\b', runs), (
        "export PIP_CERT=/wheelhouse/$CA_BUNDLE before the pip installs when CA_BUNDLE is set")


def test_torch_pinned_like_readme_from_the_cpu_index_before_the_project(dockerfile: list[Instruction],
                                                                       pyproject: dict) -> None:
    from packaging.requirements import Requirement

    pin = readme_torch_pin()
    args = arg_defaults(dockerfile)
    runs = [i.args for i in dockerfile if i.keyword == "RUN"]
    torch_installs = [m for args_ in runs for m in [re.search(r"pip install[^&;]*\btorch==([\w.+-]+)", args_)] if m]
    assert torch_installs, f"no `pip install ... torch=={pin}` in the Dockerfile; install it first, as README.md does"
    torch = torch_installs[0]
    assert torch.group(1) == pin, f"Dockerfile installs torch=={torch.group(1)} but README.md pins torch=={pin}"
    assert "$TORCH_INDEX_URL" in torch.group(0) and "download.pytorch.org/whl/cpu" in args.get("TORCH_INDEX_URL", ""), (
        "install torch from $TORCH_INDEX_URL, by default https://download.pytorch.org/whl/cpu: PyPI's torch is a "
        "multi-GB CUDA build")
    extras = pyproject["project"].get("optional-dependencies", {})
    ranges = [Requirement(r) for r in pyproject["project"]["dependencies"] if Requirement(r).name == "torch"]
    assert ranges and ranges[0].specifier.contains(pin), (
        f"pyproject's dependencies must admit README's torch=={pin} (the default embedder runs in torch), or pip "
        "replaces it with another torch")
    project = re.search(r"pip install\b[^&;]*\s[\"']?\.(\$\{EXTRAS:\+\[\$EXTRAS\]\}|\[[\w,]+\])?[\"']?(\s|$)",
                        torch.string[torch.end():])
    assert project, ("no `pip install .` of the project after the torch install (install the pinned CPU torch "
                     "first, as README.md does, or pip resolves torch from PyPI and pulls the CUDA build)")
    unknown = [e for e in args.get("EXTRAS", "").split(",") if e and e not in extras]
    assert not unknown, f"EXTRAS defaults to extras {unknown}; pyproject.toml declares only {sorted(extras)}"


def test_copy_sources_exist_and_cover_every_package(dockerfile: list[Instruction], pyproject: dict) -> None:
    sources: list[str] = []
    for ins in (i for i in dockerfile if i.keyword in ("COPY", "ADD")):
        if "--from" in ins.args:
            continue  # copies from another build stage, not from the repository
        argv = [with_defaults(w, arg_defaults(dockerfile)) for w in words(ins.args) if not w.startswith("--")]
        assert len(argv) >= 2, f"`{ins.keyword} {ins.args}` needs a source and a destination"
        sources += argv[:-1]
    missing = [s for s in sources if not list(REPO.glob(s.rstrip("/") or "."))]
    assert not missing, f"COPY sources not in the repository: {missing}; fix the paths or add the files"
    ignored = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.startswith("#")} if (REPO / ".dockerignore").exists() else set()
    excluded = [s for s in sources if s.rstrip("/") in ignored]
    assert not excluded, f"COPY sources excluded by .dockerignore: {excluded}; remove them from .dockerignore"
    copied = {s.rstrip("/") for s in sources}
    packages = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    needed = [*packages, "pyproject.toml", pyproject["project"]["readme"]]
    uncopied = [p for p in needed if p not in copied]
    assert not uncopied, (f"`pip install .` in the image needs {uncopied} but the Dockerfile does not COPY them; "
                          "add a COPY line per package folder listed in pyproject's packages.find")


def test_package_data_ships_every_data_file(pyproject: dict) -> None:
    # The image installs the project as a wheel, without the source tree: a word list left out of package-data
    # breaks `policy-qa index` there and nowhere else (editable installs read the source tree).
    package_data = {package.replace(".", "/"): globs
                    for package, globs in pyproject["tool"]["setuptools"]["package-data"].items()}

    def shipped(path: Path) -> bool:
        for folder, globs in package_data.items():
            if path.is_relative_to(REPO / folder):
                parts = path.relative_to(REPO / folder).parts
                if any(len(parts) == len(Path(g).parts) and all(map(fnmatch, parts, Path(g).parts)) for g in globs):
                    return True
        return False

    roots = [p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]]
    data = [path for root in roots for path in (REPO / root).rglob("*")
            if path.is_file() and path.suffix not in (".py", ".pyc") and path.name != "README.md"]
    missing = sorted(str(p.relative_to(REPO)) for p in data if not shipped(p))
    assert not missing, f"files the code may read are not in pyproject's package-data: {missing}"


def test_entrypoint_is_the_executable_folder_check(dockerfile: list[Instruction]) -> None:
    entrypoint = [words(i.args) for i in dockerfile if i.keyword == "ENTRYPOINT"]
    assert entrypoint, "no ENTRYPOINT; run docker/entrypoint.sh so a wrongly owned /data gets its one-line fix"
    copied = {words(i.args)[-1]: words(i.args)[0] for i in dockerfile if i.keyword == "COPY" and "--from" not in i.args}
    program = entrypoint[-1][0]
    assert copied.get(program) == "docker/entrypoint.sh", f"ENTRYPOINT runs {program}, not docker/entrypoint.sh"
    assert os.access(REPO / "docker" / "entrypoint.sh", os.X_OK), "docker/entrypoint.sh lost its executable bit"


def test_console_script_and_subcommands_exist(dockerfile: list[Instruction], pyproject: dict) -> None:
    import typer

    from policy_qa.cli import app

    scripts = pyproject["project"].get("scripts", {})
    assert SCRIPT in scripts, f"Dockerfile runs `{SCRIPT}` but pyproject [project.scripts] does not declare it"
    calls = script_invocations(dockerfile)
    assert calls, f"Dockerfile never runs `{SCRIPT}`; build the index with `RUN {SCRIPT} index` and serve with CMD"
    cmd = [i for i in dockerfile if i.keyword == "CMD"]
    assert cmd and words(cmd[-1].args)[0] == SCRIPT, f"CMD should start the service with `{SCRIPT} serve`"
    commands = typer.main.get_command(app).commands
    for _, argv in calls:
        sub = argv[1] if len(argv) > 1 else ""
        assert sub in commands, (f"Dockerfile runs `{' '.join(argv)}` but the CLI has no {sub!r} command "
                                 f"(it has {sorted(commands)}); fix the Dockerfile or policy_qa/cli.py")
        declared = {opt for param in commands[sub].params for opt in param.opts if opt.startswith("--")}
        unknown = [w.split("=", 1)[0] for w in argv[2:] if w.startswith("--") and w.split("=", 1)[0] not in declared]
        assert not unknown, f"`{' '.join(argv)}` uses options {unknown} that `{SCRIPT} {sub}` does not declare"
    used = {argv[1] for _, argv in calls if len(argv) > 1}
    assert {"index", "serve"} <= used, f"Dockerfile should run `{SCRIPT} index` and `{SCRIPT} serve`; it runs {used}"


def test_port_and_healthcheck_route(dockerfile: list[Instruction]) -> None:
    from starlette.routing import Match

    from app.main import create_api
    from app.settings import Settings

    default_port = Settings.model_fields["port"].default
    exposed = [w.split("/")[0] for i in dockerfile if i.keyword == "EXPOSE" for w in i.args.split()]
    assert exposed == [str(default_port)], (
        f"EXPOSE {' '.join(exposed) or '(none)'} but Settings.port defaults to {default_port}; EXPOSE that port")
    env_port = env_values(dockerfile).get("POLICY_QA_PORT")
    assert env_port in (None, str(default_port)), f"ENV POLICY_QA_PORT={env_port} differs from EXPOSE {default_port}"

    checks = [i.args for i in dockerfile if i.keyword == "HEALTHCHECK"]
    assert checks, "no HEALTHCHECK; add one that fetches /healthz with python's urllib (slim has no curl)"
    check = checks[-1]
    assert " CMD " in f" {check} ", "HEALTHCHECK needs a CMD"
    probe = check.split(" CMD ", 1)[1] if " CMD " in check else check.removeprefix("CMD ")
    assert "curl" not in probe and "wget" not in probe, "python:3.11-slim has no curl/wget; probe with urllib"
    url = re.search(r"https?://[\w.]+(?::(\d+))?(/[\w/.-]*)", probe)
    literal = re.search(r"""['"](/[\w/.-]+)['"]""", probe)
    assert url or literal, f"cannot find the probed URL path in HEALTHCHECK {probe!r}"
    if url and url.group(1):
        assert url.group(1) == str(default_port), f"HEALTHCHECK probes port {url.group(1)}, the app listens on " \
                                                  f"{default_port}"
    path = literal.group(1) if literal else url.group(2)
    # Ask each route whether it serves GET <path>: recent FastAPI wraps included routers in objects without a
    # `.path`, so the paths of create_app().routes alone miss /healthz; `matches` sees through them.
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": [], "query_string": b""}
    routes = create_api(Settings()).routes
    assert any(r.matches(scope)[0] == Match.FULL for r in routes), (
        f"HEALTHCHECK probes GET {path!r}, which no route of the app serves; probe /healthz")


def test_runs_as_non_root_user(dockerfile: list[Instruction]) -> None:
    users = [(pos, i.args.strip()) for pos, i in enumerate(dockerfile) if i.keyword == "USER"]
    assert users, "no USER instruction: the container would run as root; add a non-root user (uid 10001)"
    last_pos, last = users[-1]
    name = last.split(":")[0]
    assert name not in ("root", "0"), f"USER {last} is root; switch to the non-root app user (uid 10001)"
    index_runs = [pos for pos, argv in script_invocations(dockerfile) if argv[1:2] == ["index"]]
    assert all(pos > last_pos for pos in index_runs), (
        "`RUN policy-qa index` runs before the final USER, so /data would be owned by root; move it after USER")


def test_data_volume_declared_after_the_index_build(dockerfile: list[Instruction]) -> None:
    data_dir = env_values(dockerfile).get("POLICY_QA_DATA_DIR")
    assert data_dir, "set ENV POLICY_QA_DATA_DIR (e.g. /data) so the index lives in a known, mountable place"
    volumes = [(pos, words(i.args)) for pos, i in enumerate(dockerfile) if i.keyword == "VOLUME"]
    data_volumes = [pos for pos, paths in volumes if data_dir in paths]
    assert data_volumes, f"declare VOLUME [\"{data_dir}\"] for the index data"
    index_runs = [pos for pos, argv in script_invocations(dockerfile) if argv[1:2] == ["index"]]
    assert all(pos < data_volumes[0] for pos in index_runs), (
        f"VOLUME {data_dir} is declared before `RUN policy-qa index`: build steps writing into a declared volume "
        "are discarded, so move VOLUME after the index build")


def test_policy_qa_env_names_are_settings(dockerfile: list[Instruction]) -> None:
    from app.settings import Settings

    text = DOCKERFILE.read_text(encoding="utf-8")  # comments too: they tell operators what to set
    names = sorted(set(re.findall(r"POLICY_QA_[A-Z0-9_]+", text)))
    assert names, "the Dockerfile sets no POLICY_QA_* variables; it needs at least POLICY_QA_DATA_DIR"
    unknown = [n for n in names if n.removeprefix("POLICY_QA_").lower() not in Settings.model_fields]
    assert not unknown, f"Dockerfile names {unknown}, which are not fields of app.settings.Settings; fix the names"


def test_parser_reads_continuations_and_exec_form() -> None:
    parsed = parse_dockerfile("# c\nFROM x\nRUN a \\\n  # inner\n  && b\nCMD [\"policy-qa\", \"serve\"]\n")
    assert [(i.keyword, i.args) for i in parsed] == [("FROM", "x"), ("RUN", "a && b"),
                                                     ("CMD", '["policy-qa", "serve"]')]
    assert script_invocations(parsed) == [(2, ["policy-qa", "serve"])]
