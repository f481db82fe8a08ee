"""A registration as Terraform runs it: the real hashicorp/aws provider applies an
``aws_lambda_invocation`` (lifecycle scope CRUD) whose Lambda endpoint is a local one running
the deployer's handler, against the real dev cluster. This checks the contract with the
provider (``tf.action``, ``tf.prev_input``, how a function error fails the apply) as well as
the registration itself."""

from __future__ import annotations

import json
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import admin_get, call_handler, http_greeter
from greeter import HTTP_SERVICE

from cdktf_restate.devtools import local_cluster
from cdktf_restate.devtools.emulator import free_ports
from cdktf_restate.devtools.terraform import Terraform, TerraformError
from cdktf_restate.lambdas.service_deployer import handle

pytestmark = pytest.mark.slow

FUNCTION = "restate-deployer"

CONFIG = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}
variable "admin_url" { type = string }
variable "uri" { type = string }
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints { lambda = "%(endpoint)s" }
}
resource "aws_lambda_invocation" "greeter" {
  function_name   = "%(function)s"
  lifecycle_scope = "CRUD"
  terraform_key   = "tf"
  input = jsonencode({
    admin_url    = var.admin_url
    deployment   = { uri = var.uri }
    force        = false
    wait_seconds = 30
  })
}
output "deployment_id" { value = jsondecode(aws_lambda_invocation.greeter.result).id }
output "services" { value = jsondecode(aws_lambda_invocation.greeter.result).services }
"""


class DeployerEndpoint:
    """Lambda's Invoke API on 127.0.0.1, running the deployer handler; a raised error becomes
    a function error (``X-Amz-Function-Error``), as Lambda reports it."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if f"/functions/{FUNCTION}/invocations" not in self.path:
                    self.send_error(404)
                    return
                event = json.loads(body)
                endpoint.events.append(event)
                headers = {"Content-Type": "application/json"}
                try:
                    answer: Any = handle(event)
                except Exception as error:
                    answer = {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "stackTrace": traceback.format_exception(error)[-3:],
                    }
                    headers["X-Amz-Function-Error"] = "Unhandled"
                data = json.dumps(answer).encode()
                self.send_response(200)
                for key, value in {**headers, "Content-Length": str(len(data))}.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", free_ports(1)[0]), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[DeployerEndpoint]:
    served = DeployerEndpoint()
    try:
        yield served
    finally:
        served.close()


def workspace(tmp_path: Path, endpoint: DeployerEndpoint) -> Terraform:
    (tmp_path / "main.tf").write_text(CONFIG % {"endpoint": endpoint.url, "function": FUNCTION})
    terraform = Terraform(tmp_path)
    terraform.init()
    return terraform


def apply(terraform: Terraform, admin_url: str, uri: str) -> dict[str, Any]:
    terraform.run(
        "apply", "-input=false", "-auto-approve",
        f"-var=admin_url={admin_url}", f"-var=uri={uri}",
    )  # fmt: skip
    return {name: value["value"] for name, value in terraform.output_json().items()}


def test_apply_update_reapply_and_destroy(
    tmp_path: Path, endpoint: DeployerEndpoint, dev_cluster: local_cluster.DevCluster
) -> None:
    admin, ingress = dev_cluster.admin_url, dev_cluster.ingress_urls[0]
    terraform = workspace(tmp_path, endpoint)
    with http_greeter(1) as first_uri, http_greeter(2) as second_uri:
        first = apply(terraform, admin, first_uri)
        assert first["services"] == [HTTP_SERVICE]
        assert endpoint.events[-1]["tf"]["action"] == "create"
        assert call_handler(ingress, HTTP_SERVICE, "greet", "ed") == "hello ed from revision 1"

        # Nothing changed: no invocation at all.
        apply(terraform, admin, first_uri)
        assert len(endpoint.events) == 1

        second = apply(terraform, admin, second_uri)
        update = endpoint.events[-1]
        assert update["tf"]["action"] == "update"
        assert update["tf"]["prev_input"]["deployment"] == {"uri": first_uri}
        assert update["deployment"] == {"uri": second_uri}
        assert second["deployment_id"] != first["deployment_id"]
        known = {d["id"] for d in admin_get(admin, "/deployments")["deployments"]}
        assert {first["deployment_id"], second["deployment_id"]} <= known

        terraform.run(
            "destroy", "-input=false", "-auto-approve",
            f"-var=admin_url={admin}", f"-var=uri={second_uri}",
        )  # fmt: skip
        delete = endpoint.events[-1]
        assert delete["tf"]["action"] == "delete"
        known = {d["id"] for d in admin_get(admin, "/deployments")["deployments"]}
        assert {first["deployment_id"], second["deployment_id"]} <= known  # left in place


def test_failed_discovery_fails_the_apply_with_restates_message(
    tmp_path: Path, endpoint: DeployerEndpoint, dev_cluster: local_cluster.DevCluster
) -> None:
    terraform = workspace(tmp_path, endpoint)
    closed = f"http://127.0.0.1:{free_ports(1)[0]}"
    with pytest.raises(TerraformError) as failure:
        apply(terraform, dev_cluster.admin_url, closed)
    message = str(failure.value)
    assert "RegistrationError" in message or "Restate refused to register" in message
    assert "META0003" in message and "Connection refused" in message
    assert (
        not (tmp_path / "terraform.tfstate").exists()
        or "aws_lambda_invocation" not in (tmp_path / "terraform.tfstate").read_text()
    )
