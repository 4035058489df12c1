"""The Dockerfiles install the project's own dependency list, pinned as the tests ran it.

No Docker engine runs here, so these tests check the Dockerfiles by parsing: pinned base (a
``BASE_IMAGE`` build-arg defaulting to the public image, which ``make images`` overrides with its
debootstrapped base), dependency layer before code, exactly pyproject.toml's dependencies (CPU:
``dependencies``; CUDA: the same with faiss-cpu swapped for the ``gpu`` extra), pins equal to the
versions installed in this venv, the numba warm-up at build time, non-root user, HEALTHCHECK on
/healthz, ``ENTRYPOINT ["farpoint"]``, nothing downloaded at start, the version the chart deploys.
The images themselves are built and started by ``make images`` (scripts/images-smoke.sh).
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import re
import shlex
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
FLAVORS = {"Dockerfile": "cpu", "Dockerfile.cuda": "cuda"}


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    buf = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, f"{path.name}: dangling line continuation"
    return out


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _expected(flavor: str) -> set[str]:
    """Requirement strings the image must install, computed here independently."""
    project = _project()
    deps = set(project["dependencies"])
    if flavor == "cuda":
        deps = {d for d in deps if Requirement(d).name != "faiss-cpu"}
        deps |= set(project["optional-dependencies"]["gpu"])
    return deps


def _requirements_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docker_requirements", DOCKER / "requirements.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (DOCKER / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt: {line!r} is not an exact pin"
            pins[canonicalize_name(name)] = version
    return pins


def _args(ins: list[tuple[str, str]]) -> dict[str, str]:
    """``ARG NAME=default`` values."""
    found = {}
    for op, a in ins:
        if op == "ARG":
            name, _, default = a.partition("=")
            found[name] = default
    return found


def _pip_installs(run: str) -> list[list[str]]:
    """The argument lists of every `pip install` / `uv pip install` in one RUN's shell text."""
    found = []
    for part in re.split(r"&&|;|\|\|", run):
        words = shlex.split(part)
        for i in range(len(words) - 1):
            if words[i].endswith("pip") and words[i + 1] == "install":
                found.append(words[i + 2 :])
    return found


@pytest.fixture(params=sorted(FLAVORS), ids=sorted(FLAVORS))
def dockerfile(request: pytest.FixtureRequest) -> tuple[str, list[tuple[str, str]]]:
    return request.param, _instructions(DOCKER / request.param)


def test_base_image_is_pinned_and_shared(dockerfile: tuple[str, list[tuple[str, str]]]) -> None:
    name, ins = dockerfile
    froms = [args for op, args in ins if op == "FROM"]
    assert len(froms) == 1, f"{name}: expected one FROM, got {froms}"
    # FROM ${BASE_IMAGE}: Docker users get the default, `make images` passes its local base
    assert froms[0] == "${BASE_IMAGE}", f"{name}: FROM must read the BASE_IMAGE build-arg"
    before_from = [a for op, a in ins[: [op for op, _ in ins].index("FROM")] if op == "ARG"]
    image = dict(a.partition("=")[::2] for a in before_from)["BASE_IMAGE"]
    assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?", image), (
        f"{name}: base image {image!r} is not pinned to an exact release"
    )
    assert image == "python:3.11.7-slim-bookworm", f"{name}: the public default base changed"
    cpu_base = _args(_instructions(DOCKER / "Dockerfile"))["BASE_IMAGE"]
    assert image == cpu_base, "both images must build on the same Python base"


def test_runs_as_non_root_after_installing(dockerfile: tuple[str, list[tuple[str, str]]]) -> None:
    name, ins = dockerfile
    users = [i for i, (op, _) in enumerate(ins) if op == "USER"]
    assert users, f"{name}: no USER"
    user = ins[users[-1]][1].split(":")[0]
    assert user not in {"root", "0"}, f"{name}: runs as {user}"
    assert user.isdigit() and int(user) >= 1000, f"{name}: USER should be a numeric uid >= 1000"
    last_run = max(i for i, (op, _) in enumerate(ins) if op == "RUN")
    assert last_run < users[-1], f"{name}: a RUN follows USER (it would need root)"


def test_healthcheck_entrypoint_and_port(dockerfile: tuple[str, list[tuple[str, str]]]) -> None:
    name, ins = dockerfile
    ops = dict(ins)
    assert "/healthz" in ops.get("HEALTHCHECK", ""), f"{name}: no HEALTHCHECK on /healthz"
    assert json.loads(ops["ENTRYPOINT"]) == ["farpoint"], f"{name}: ENTRYPOINT must be farpoint"
    assert ops.get("EXPOSE") == "8000"
    env = " ".join(a for op, a in ins if op == "ENV")
    assert "FARPOINT_DEV_MODE=false" in env, f"{name}: production images must not be in dev mode"
    # `farpoint serve` listens on 127.0.0.1 unless told: a container must listen on every address
    assert "FARPOINT_HOST=0.0.0.0" in env and "FARPOINT_PORT=8000" in env, f"{name}: host/port"


def test_dependency_layer_is_built_before_the_code(
    dockerfile: tuple[str, list[tuple[str, str]]],
) -> None:
    name, ins = dockerfile
    flavor = FLAVORS[name]

    def first(pred) -> int:  # type: ignore[no-untyped-def]
        return next(i for i, item in enumerate(ins) if pred(*item))

    pyproject = first(lambda op, a: op == "COPY" and "pyproject.toml" in a.split())
    deps = first(lambda op, a: op == "RUN" and f"docker/requirements.py {flavor}" in a)
    code = first(lambda op, a: op == "COPY" and a.split()[0] in {"shared/", "services/", "."})
    project = first(lambda op, a: op == "RUN" and "--no-deps ." in a)
    assert pyproject < deps < code < project, f"{name}: layers out of order"
    # The dependency layer must not see the code (or every code change would rebuild it).
    copied_before = " ".join(a for op, a in ins[:deps] if op in {"COPY", "ADD"})
    assert "shared" not in copied_before and "services" not in copied_before
    # The code's COPYs cover every package root setuptools looks in.
    wheres = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"][
        "find"
    ]["where"]
    copied = {a.split()[0].rstrip("/") for op, a in ins if op == "COPY"}
    assert "shared" in wheres and "shared" in copied and "services" in copied


def test_installs_exactly_the_project_dependency_list(
    dockerfile: tuple[str, list[tuple[str, str]]],
) -> None:
    name, ins = dockerfile
    flavor = FLAVORS[name]
    installs = [args for op, a in ins if op == "RUN" for args in _pip_installs(a)]
    assert len(installs) == 3, f"{name}: expected uv, the dependency and the project installs"
    uv_args, deps_args, project_args = installs
    # The installer: uv at the pinned ARG version, kept out of the venv.
    assert uv_args == ["--target", "/opt/uv", "uv==${UV_VERSION}"], f"{name}: {uv_args}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", _args(ins)["UV_VERSION"]), f"{name}: uv not pinned"
    with_value = {"-r", "-c", "--extra-index-url", "--index-url", "--link-mode", "--target"}

    def named(args: list[str]) -> list[str]:
        return [
            a
            for i, a in enumerate(args)
            if not a.startswith(("-", "$")) and args[i - 1] not in with_value
        ]

    # The dependency install: the generated list, with the pins; nothing named by hand.
    assert deps_args[deps_args.index("-r") + 1] == "/tmp/requirements.txt"
    assert deps_args[deps_args.index("-c") + 1] == "docker/constraints.txt"
    assert named(deps_args) == [], f"{name}: packages installed by hand: {named(deps_args)}"
    assert "--no-deps" in project_args and named(project_args) == ["."], (
        f"{name}: project install is {project_args}"
    )
    # The generated list is pyproject.toml's list for the flavor.
    assert set(_requirements_module().requirements(flavor)) == _expected(flavor)
    # CPU wheels for the CPU image; PyPI's (CUDA) torch for the CUDA image.
    # (make images empties TORCH_INDEX where that index is unreachable)
    uses_cpu_index = "${TORCH_INDEX}" in " ".join(deps_args)
    assert uses_cpu_index == (flavor == "cpu")
    if flavor == "cpu":
        assert _args(ins)["TORCH_INDEX"] == "https://download.pytorch.org/whl/cpu"


def test_cuda_image_swaps_faiss_cpu_for_the_gpu_extra() -> None:
    cuda = {Requirement(r).name for r in _requirements_module().requirements("cuda")}
    cpu = {Requirement(r).name for r in _requirements_module().requirements("cpu")}
    assert "faiss-cpu" in cpu and "faiss-cpu" not in cuda
    assert {Requirement(r).name for r in _project()["optional-dependencies"]["gpu"]} <= cuda
    assert cpu - {"faiss-cpu"} <= cuda


def test_pins_cover_both_lists_and_satisfy_pyproject() -> None:
    pins = _pins()
    for flavor in ("cpu", "cuda"):
        for spec in _expected(flavor):
            req = Requirement(spec)
            name = canonicalize_name(req.name)
            assert name in pins, f"constraints.txt does not pin {name} ({flavor} image)"
            assert req.specifier.contains(Version(pins[name]), prereleases=True), (
                f"constraints.txt pins {name}=={pins[name]}, outside pyproject's {req.specifier}"
            )


def test_pins_are_the_versions_the_tests_run() -> None:
    """The images get this venv's versions (regenerate: docker/requirements.py --freeze)."""
    drift = {}
    for name, pinned in _pins().items():
        try:
            installed = Version(md.version(name)).public
        except md.PackageNotFoundError:
            continue  # the GPU-only wheels cannot be installed on these CPU machines
        if Version(installed) != Version(pinned):
            drift[name] = (pinned, installed)
    assert not drift, (
        f"docker/constraints.txt drifted from the venv (pinned, installed): {drift}; "
        "run `.venv/bin/python docker/requirements.py --freeze`"
    )


def test_nothing_is_downloaded_at_build_or_start(
    dockerfile: tuple[str, list[tuple[str, str]]],
) -> None:
    name, ins = dockerfile
    text = " ".join(a for op, a in ins if op in {"RUN", "CMD", "ENTRYPOINT", "ADD"}).lower()
    for word in ("curl ", "wget ", "huggingface", "torch.hub", "pretrained", "http://", "git "):
        if word == "http://":
            text = text.replace("http://127.0.0.1", "")
        assert word not in text, f"{name}: {word.strip()!r} suggests a download"
    assert not any(op == "ADD" for op, _ in ins), f"{name}: use COPY, not ADD"


def test_numba_cache_is_warmed_at_build_and_left_writable(
    dockerfile: tuple[str, list[tuple[str, str]]],
) -> None:
    """The warm-up runs after the project install, into the venv's cache, owned by the user."""
    name, ins = dockerfile
    runs = [a for op, a in ins if op == "RUN"]
    last = runs[-1]
    assert "--no-deps ." in last and "python -m farpoint.warmup" in last, f"{name}: no warm-up"
    assert last.index("--no-deps .") < last.index("farpoint.warmup")
    assert "chown -R 10001:10001 /opt/farpoint/var" in last, f"{name}: cache not writable"
    # farpoint puts NUMBA_CACHE_DIR at <venv>/var/numba-cache; nothing in the image moves it
    env = " ".join(a for op, a in ins if op == "ENV")
    assert "NUMBA_CACHE_DIR" not in env and "VIRTUAL_ENV=/opt/farpoint" in env
    init = (ROOT / "shared/farpoint/__init__.py").read_text()
    assert '"var", "numba-cache"' in init


def test_image_version_is_the_charts_app_version() -> None:
    """`farpoint --version` in the image (farpoint.__version__, from the installed code) is the
    version the chart deploys; scripts/images-smoke.sh checks the same inside the built image."""
    import farpoint

    chart = (ROOT / "charts/farpoint/Chart.yaml").read_text()
    app = re.search(r'^appVersion:\s*"?([^"\s]+)"?', chart, re.M)
    assert app is not None
    assert farpoint.__version__ == app.group(1) == _project()["version"]


def test_make_images_builds_these_dockerfiles_on_its_base() -> None:
    """scripts/images.sh overrides exactly the build-arg the Dockerfiles read, with their
    .dockerignore, and the smoke test compares the version inside the image with the chart."""
    script = (ROOT / "scripts/images.sh").read_text()
    assert '--build-arg BASE_IMAGE="$BASE_TAG"' in script
    assert '--ignorefile "$file.dockerignore"' in script
    assert "docker/Dockerfile " in script and "docker/Dockerfile.cuda " in script
    for name in FLAVORS:
        assert (DOCKER / f"{name}.dockerignore").is_file()
        assert "BASE_IMAGE" in _args(_instructions(DOCKER / name))
    smoke = (ROOT / "scripts/images-smoke.sh").read_text()
    assert "farpoint --version" in smoke and "appVersion" in smoke
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^images:.*\n\t.*scripts/images\.sh", makefile, re.M)
