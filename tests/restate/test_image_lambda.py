"""The built controller IMAGE as the cluster's restatectl Lambda function: its
`/usr/local/bin/restatectl lambda` (the function's entry point and command, cluster/functions.py)
serves a local Lambda Runtime API and answers an Invoke about a real local cluster."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import zipfile
from collections.abc import Iterator

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from cdktf_restate.cluster.functions import RESTATECTL_IMAGE_PATH
from cdktf_restate.devtools import image, image_run
from cdktf_restate.devtools.local_cluster import RESTATECTL, DevCluster
from cdktf_restate.devtools.local_lambda import LocalLambda

pytestmark = pytest.mark.slow
FUNCTION = "dev-restatectl"


@pytest.fixture(scope="module")
def image_function(
    bare_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalLambda]:
    """A package whose bootstrap only enters the image, as Lambda starts a container image."""
    built = image.build("amd64")
    with image_run.mounted_container(built.reference, "test-image-lambda") as container:
        command = image_run.command_prefix(container, [], entrypoint=RESTATECTL_IMAGE_PATH)
        package = tmp_path_factory.mktemp("image-lambda") / "package.zip"
        bootstrap = zipfile.ZipInfo("bootstrap")
        bootstrap.external_attr = 0o755 << 16
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr(bootstrap, f"#!/bin/sh\nexec {shlex.join([*command, 'lambda'])}\n")
        env = {"RESTATECTL_ADDRESS": bare_cluster.restatectl_address}
        with LocalLambda(package, FUNCTION, env=env) as served:
            yield served


def test_the_image_answers_as_the_restatectl_lambda(
    image_function: LocalLambda, bare_cluster: DevCluster
) -> None:
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        endpoint_url=image_function.endpoint_url,
        config=Config(signature_version=UNSIGNED, read_timeout=90),
    )
    response = client.invoke(FunctionName=FUNCTION, Payload=json.dumps({"args": ["nodes", "list"]}))
    assert "FunctionError" not in response
    answer = json.loads(response["Payload"].read())
    direct = subprocess.run(
        [str(RESTATECTL), "nodes", "list", "--address", bare_cluster.restatectl_address],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert answer["status"] == 0, answer
    assert answer["stdout"] == direct.stdout
    assert "stateless-a" in answer["stdout"]
    # What answered is the image's restatectl: the bootstrap exec'd into the image's root.
    process = image_function._process  # the package's bootstrap, as LocalLambda started it
    assert process is not None
    root = os.readlink(f"/proc/{process.pid}/root")
    assert root.startswith(str(image.STORAGE)), root
