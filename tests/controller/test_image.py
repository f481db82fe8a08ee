"""What the controller image runs, run here as processes (no Docker engine on this machine)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

IMAGE_DIR = Path(__file__).resolve().parents[2] / "controller_image"
DOCKERFILE = (IMAGE_DIR / "Dockerfile").read_text()


def test_entrypoint_script_is_the_console_script_main(tmp_path: Path) -> None:
    """The image's /usr/local/bin/restate-controller, run with only the package on the path."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(IMAGE_DIR),
        "RESTATE_CONTROLLER_CLUSTER_NAME": "bad name",
    }
    script = IMAGE_DIR / "docker" / "restate-controller"
    result = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "RESTATE_CONTROLLER_CLUSTER_NAME='bad name' is invalid" in result.stderr


def test_controller_needs_only_the_standard_library_and_boto3() -> None:
    """The image installs boto3 and copies the package: no import of the construct or cdktf."""
    imported: set[str] = set()
    for path in (IMAGE_DIR / "restate_controller").rglob("*.py"):
        for match in re.finditer(r"^\s*(?:from|import)\s+([A-Za-z_][\w]*)", path.read_text(), re.M):
            imported.add(match.group(1))
    third_party = imported - set(sys.stdlib_module_names) - {"restate_controller", "__future__"}
    assert third_party == {"boto3", "botocore"}


def test_dockerfile_copies_existing_files_runs_non_root_with_the_same_entrypoint() -> None:
    sources = re.findall(r"^COPY (?!.*--from)(?:--\S+ )*(\S+) ", DOCKERFILE, re.M)
    assert "docker/restate-controller" in sources and "restate_controller" in sources
    for source in sources:
        assert (IMAGE_DIR / source).exists(), source
    assert re.search(r"^USER 10001", DOCKERFILE, re.M)
    assert 'ENTRYPOINT ["restate-controller"]' in DOCKERFILE
    assert 'fetch-restatectl "${TARGETARCH}"' in DOCKERFILE
    assert os.access(IMAGE_DIR / "docker" / "restate-controller", os.X_OK)


def test_the_tmp_volume_is_declared_before_the_non_root_user() -> None:
    """HOME=/tmp sits on the task's bind mount: declared as a VOLUME, so Fargate gives the
    mount the image's mode (1777, checked on the built image in test_image_build.py) instead
    of root's 0755."""
    assert DOCKERFILE.index('VOLUME ["/tmp"]') < DOCKERFILE.index("USER 10001")


def test_the_final_stage_runs_nothing_so_cross_builds_need_no_emulation() -> None:
    """Every RUN is in a stage on the build machine's platform; the final stage only copies."""
    stages = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]
    assert stages[-1].startswith("${BASE_IMAGE}")
    assert not re.search(r"^RUN ", stages[-1], re.M)
    for stage in stages[:-1]:
        if re.search(r"^RUN ", stage, re.M):
            assert stage.startswith("--platform=$BUILDPLATFORM "), stage.splitlines()[0]


def test_each_fetching_stage_has_the_name_its_build_context_replaces() -> None:
    """`--build-context restatectl=DIR` / `python-deps=DIR` replace these stages (what
    `cdktf-restate image build` passes); the final stage copies from them at their root."""
    for name in ("restatectl", "python-deps"):
        assert re.search(rf"^FROM scratch AS {name}$", DOCKERFILE, re.M), name
        assert re.search(rf"^COPY --from={name} (--\S+ )*/", DOCKERFILE, re.M), name


@pytest.mark.parametrize("arch", ["s390x", "386"])
def test_restatectl_fetch_refuses_unknown_architectures(arch: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            "sh",
            str(IMAGE_DIR / "docker" / "fetch-restatectl.sh"),
            arch,
            "1.7.12",
            str(tmp_path / "restatectl"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert f"unsupported architecture '{arch}'" in result.stderr
    assert not (tmp_path / "restatectl").exists()
