"""An AWS emulator (moto server) on 127.0.0.1, for plans, applies and controller tests."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from restate_controller.backends.local import LOOPBACK, free_port, free_ports

__all__ = ["LOOPBACK", "Emulator", "free_port", "free_ports", "running_emulator"]


@dataclass(frozen=True)
class Emulator:
    url: str

    def client(self, service: str, region: str = "us-east-1") -> Any:
        """A boto3 client of ``service`` pointed at the emulator (its fixed test credentials)."""
        import boto3

        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def vpc_with_subnets(
        self, zones: list[str] | tuple[str, ...], network: int = 9, region: str = "us-east-1"
    ) -> tuple[str, list[str]]:
        """A VPC ``10.<network>.0.0/16`` with one /24 subnet per zone: (vpc id, subnet ids)."""
        ec2 = self.client("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=f"10.{network}.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.{network}.{index}.0/24", AvailabilityZone=zone
            )["Subnet"]["SubnetId"]
            for index, zone in enumerate(zones)
        ]
        return vpc, subnets

    def reset(self) -> None:
        urllib.request.urlopen(
            urllib.request.Request(f"{self.url}/moto-api/reset", method="POST"), timeout=10
        ).read()

    def set_ecs_task_transitions_manual(self, describes_per_step: int = 10**9) -> None:
        """Stop moto from advancing ECS task lifecycle on every describe.

        With ``manual`` progression a task moves one status forward after
        ``describes_per_step`` describe calls; the default keeps tasks where they are.
        """
        body = json.dumps(
            {
                "model_name": "ecs::task",
                "transition": {"progression": "manual", "times": describes_per_step},
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/moto-api/state-manager/set-transition", data=body, method="POST"
        )
        urllib.request.urlopen(request, timeout=10).read()


@contextmanager
def running_emulator(port: int | None = None) -> Iterator[Emulator]:
    """Start moto's threaded server on loopback; stop it on exit."""
    # Managed policies (e.g. AWSLambdaVPCAccessExecutionRole) must exist for attachments.
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    from moto.server import ThreadedMotoServer

    port = port or free_port()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=port, verbose=False)
    server.start()
    url = f"http://{LOOPBACK}:{port}"
    # moto cannot run a Lambda here (no Docker): its Docker-free Lambda answers every Invoke
    # with the payload, so an apply with aws_lambda_invocation resources (the cluster's
    # destroy-time cleanup) succeeds. Set before any function exists: the two keep separate
    # stores. Tests that need a function to run use devtools.local_lambda.
    body = json.dumps({"lambda": {"use_docker": False}}).encode()
    request = urllib.request.Request(f"{url}/moto-api/config", data=body, method="POST")
    urllib.request.urlopen(request, timeout=10).read()
    try:
        yield Emulator(url=url)
    finally:
        server.stop()
