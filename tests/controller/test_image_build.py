"""The built controller image (buildah, offline; `cdktf-restate image build`): what is in it and
how its entrypoint runs as the controller task does (read-only root, writable /tmp, uid 10001)."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from cdktf_restate.devtools import image, image_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built() -> image.BuiltImage:
    """Built through the command line users run (the base and inputs are cached)."""
    result = subprocess.run(
        [sys.executable, "-m", "cdktf_restate.cli", "image", "build", "--arch", "amd64"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reference, archive = result.stdout.split(" (")[0].split(": ")
    assert "MB compressed" in result.stdout
    assert reference == f"{image.IMAGE_NAME}:{version('cdktf-restate')}-amd64"
    return image.BuiltImage("amd64", reference, Path(archive))


@pytest.fixture(scope="module")
def container(built: image.BuiltImage) -> Iterator[str]:
    with image_run.mounted_container(built.reference, "test-image-build") as name:
        yield name


def run_in_image(container: str, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*image_run.command_prefix(container, [], entrypoint=program), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "RESTATE_CONTROLLER_CLUSTER_NAME": "demo"},
    )


def test_the_archive_is_an_oci_image_with_the_controller_config(built: image.BuiltImage) -> None:
    with tarfile.open(built.archive) as oci:
        layout = json.loads(oci.extractfile("oci-layout").read())  # type: ignore[union-attr]
        assert layout["imageLayoutVersion"] == "1.0.0"
    size = image.archive_size(built.archive)
    assert size.layers == 2  # the Debian base + everything the Dockerfile adds
    assert 10e6 < size.compressed_bytes < size.uncompressed_bytes


def test_the_image_runs_as_10001_with_the_entrypoint_and_a_tmp_volume(container: str) -> None:
    inspected = json.loads(image.run(image.buildah_command("inspect", container), what="inspect"))
    config = inspected["OCIv1"]["config"]
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["restate-controller"]
    assert "/tmp" in config["Volumes"]
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert inspected["OCIv1"]["architecture"] == "amd64"


def test_root_is_read_only_tmp_is_writable_and_the_user_is_10001(container: str) -> None:
    probe = (
        "import os, stat, pathlib\n"
        "print(os.getuid(), os.getgid(), oct(stat.S_IMODE(os.stat('/tmp').st_mode)))\n"
        "pathlib.Path('/tmp/ok').write_text('x')\n"
        "try:\n"
        "    pathlib.Path('/opt/restate-controller/x').write_text('x')\n"
        "except OSError as error:\n"
        "    print('root:', error.strerror)\n"
    )
    result = run_in_image(container, "python3", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["10001 10001 0o1777", "root: Read-only file system"]


def test_restatectl_boto3_and_only_the_needed_models_are_in_the_image(container: str) -> None:
    restatectl = run_in_image(container, "restatectl", "--version")
    assert restatectl.returncode == 0, restatectl.stderr
    assert "1.7.12" in restatectl.stdout
    probe = (
        "import boto3, botocore, os, restate_controller.backends.ecs\n"
        "print(boto3.__version__)\n"
        "print(' '.join(sorted(os.listdir(os.path.join(os.path.dirname(botocore.__file__),"
        " 'data')))))\n"
        "boto3.client('ecs', region_name='us-east-1'); boto3.client('ec2', region_name='us-east-1')\n"
    )
    result = run_in_image(container, "python3", "-c", probe)
    assert result.returncode == 0, result.stderr
    boto3_line, models_line = result.stdout.splitlines()
    assert boto3_line == version("boto3")
    models = models_line.split()
    assert {"ecs", "ec2", "sts", "endpoints.json"} <= set(models)
    assert "s3" not in models and "lambda" not in models


def test_the_entrypoint_validates_the_configuration(container: str) -> None:
    result = run_in_image(container, "restate-controller", "--check-config")
    assert result.returncode == 2
    assert "RESTATE_CONTROLLER_" in result.stderr


def test_the_arm64_image_runs_its_entrypoint_under_emulation() -> None:
    """Fargate's default for the controller is ARM64. Building its base on amd64 runs the
    packages' scripts under qemu; skipped (saying what is missing) where it is not set up."""
    try:
        image.require_emulation("arm64")
    except image.ImageBuildError as missing:
        pytest.skip(str(missing))
    arm64 = image.build("arm64")
    with image_run.mounted_container(arm64.reference, "test-image-arm64") as name:
        probe = run_in_image(name, "python3", "-c", "import platform; print(platform.machine())")
        assert probe.stdout.strip() == "aarch64", probe.stderr
        restatectl = run_in_image(name, "restatectl", "--version")
        assert "aarch64" in restatectl.stdout, restatectl.stderr
        check = run_in_image(name, "restate-controller", "--check-config")
        assert check.returncode == 2 and "RESTATE_CONTROLLER_" in check.stderr
