"""The synthesized resource graph: each resource and its key properties.

Given the construct (through examples/minimal, or a stack built here), when synthesized,
then the Terraform JSON holds exactly the hardened, scoped resources the docs describe.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cdktf
import pytest

from cdktf_restate import (
    EbsVolumeProps,
    LoadBalancerProps,
    ObjectStorageProps,
    RestateEcsFargateCluster,
    StatefulNodeProps,
    StatelessNodeProps,
    Subnet,
    TaskProps,
)
from cdktf_restate._tf import AwsProvider
from cdktf_restate.cluster.iam import CLUSTER_CONDITIONED_ACTIONS, UNSCOPABLE_ACTIONS
from cdktf_restate.devtools.terraform import Terraform
from cdktf_restate.schema import props as props_module

REPO = Path(__file__).resolve().parents[1]
CONTRACT = REPO / "docs" / "controller-config.md"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")

Doc = dict[str, Any]


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(
        f"example_{name.replace('-', '_')}", REPO / "examples" / name / "main.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def minimal(tmp_path_factory) -> Doc:
    outdir = tmp_path_factory.mktemp("minimal")
    stack_dir = load_example("minimal").build(str(outdir))
    return json.loads((Path(stack_dir) / "cdk.tf.json").read_text())


def synth_cluster(tmp_path: Path, **options: Any) -> Doc:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "probe")
    AwsProvider(stack, "aws", region="us-east-1")
    subnets = [
        Subnet(subnet_id=f"subnet-0000000{i}", availability_zone=zone)
        for i, zone in enumerate(ZONES)
    ]
    options.setdefault("restatectl", props_module.RestatectlProps(disabled=True))
    options.setdefault("retirement_watcher", props_module.RetirementWatcherProps(disabled=True))
    RestateEcsFargateCluster(stack, "restate", vpc_id="vpc-0000aaaa", subnets=subnets, **options)
    app.synth()
    return json.loads((tmp_path / "stacks" / "probe" / "cdk.tf.json").read_text())


def of_type(doc: Doc, resource_type: str) -> dict[str, Doc]:
    return doc["resource"].get(resource_type, {})


def one(doc: Doc, resource_type: str, contains: str = "") -> Doc:
    matches = [v for k, v in of_type(doc, resource_type).items() if contains in k]
    assert len(matches) == 1, f"{resource_type} *{contains}*: {sorted(of_type(doc, resource_type))}"
    return matches[0]


def container(task_definition: Doc) -> Doc:
    (definition,) = json.loads(task_definition["container_definitions"])
    return definition


def env(definition: Doc) -> dict[str, str]:
    return {item["name"]: item["value"] for item in definition["environment"]}


def json_policies(doc: Doc) -> Iterator[tuple[str, Doc]]:
    for name, policy in of_type(doc, "aws_iam_role_policy").items():
        if not policy["policy"].startswith("${jsonencode("):
            yield name, json.loads(policy["policy"])


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---- Object storage ---------------------------------------------------------------------


def test_bucket_is_encrypted_versioned_private_and_tls_only(minimal: Doc) -> None:
    bucket = one(minimal, "aws_s3_bucket")
    assert re.fullmatch(
        r"minimal-restate-\$\{data\.aws_caller_identity\.\w+\.account_id\}-\$\{data\.aws_region\.\w+\.name\}",
        bucket["bucket"],
    )
    assert bucket["force_destroy"] is False
    assert one(minimal, "aws_s3_bucket_versioning")["versioning_configuration"] == [
        {"status": "Enabled"}
    ]
    (rule,) = one(minimal, "aws_s3_bucket_server_side_encryption_configuration")["rule"]
    (default,) = rule["apply_server_side_encryption_by_default"]
    assert default["sse_algorithm"] == "aws:kms"
    assert re.fullmatch(r"\$\{aws_kms_key\.\w+\.arn\}", default["kms_master_key_id"])
    block = one(minimal, "aws_s3_bucket_public_access_block")
    assert all(
        block[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    policy = json.loads(one(minimal, "aws_s3_bucket_policy")["policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}
    }
    (lifecycle,) = one(minimal, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert lifecycle["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert lifecycle["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 7}]
    # Delete markers of pruned snapshots go once their versions have expired.
    assert lifecycle["expiration"] == [{"expired_object_delete_marker": True}]
    assert lifecycle["status"] == "Enabled" and lifecycle["filter"] == [{}]  # whole bucket
    key = one(minimal, "aws_kms_key")
    assert key["enable_key_rotation"] is True


def test_restate_task_role_reaches_only_its_prefix(tmp_path: Path) -> None:
    doc = synth_cluster(
        tmp_path,
        object_storage=ObjectStorageProps(bucket_name="existing-bucket", prefix="team/restate"),
    )
    assert "aws_s3_bucket" not in doc["resource"]
    policies = dict(json_policies(doc))
    (task_policy,) = [p for name, p in policies.items() if "restate_task_policy" in name]
    by_action = {tuple(s["Action"]): s for s in task_policy["Statement"]}
    objects = by_action[("s3:DeleteObject", "s3:GetObject", "s3:PutObject")]
    assert objects["Resource"] == [
        "arn:${data.aws_partition.restate_partition_44365E83.partition}:s3:::existing-bucket/team/restate/*"
    ]
    listing = by_action[("s3:ListBucket",)]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["team/restate/*"]}}
    environment = env(container(one(doc, "aws_ecs_task_definition", "stateful")))
    assert (
        environment["RESTATE_METADATA_CLIENT__PATH"] == "s3://existing-bucket/team/restate/metadata"
    )
    assert (
        environment["RESTATE_WORKER__SNAPSHOTS__DESTINATION"]
        == "s3://existing-bucket/team/restate/snapshots"
    )


# ---- Network and load balancer ----------------------------------------------------------


def test_security_group_allows_restate_ports_between_members_only(minimal: Doc) -> None:
    rules = of_type(minimal, "aws_security_group_rule").values()
    ingress = sorted(
        (r["from_port"], r["to_port"], r["protocol"], r.get("self"))
        for r in rules
        if r["type"] == "ingress"
    )
    assert ingress == [
        (5122, 5122, "tcp", True),
        (8080, 8080, "tcp", True),
        (9070, 9070, "tcp", True),
    ]
    assert all("cidr_blocks" not in r for r in rules if r["type"] == "ingress")


def test_internal_nlb_with_tcp_listeners_and_http_health_checks(minimal: Doc) -> None:
    nlb = one(minimal, "aws_lb")
    assert nlb["load_balancer_type"] == "network" and nlb["internal"] is True
    assert nlb["enable_cross_zone_load_balancing"] is True
    assert len(nlb["subnets"]) == 3
    listeners = sorted(
        (lst["port"], lst["protocol"]) for lst in of_type(minimal, "aws_lb_listener").values()
    )
    assert listeners == [(5122, "TCP"), (8080, "TCP"), (9070, "TCP")]
    checks = {}
    for group in of_type(minimal, "aws_lb_target_group").values():
        assert group["target_type"] == "ip" and group["protocol"] == "TCP"
        assert int(group["deregistration_delay"]) <= 10
        (check,) = group["health_check"]
        assert check["protocol"] == "HTTP" and check["interval"] == 5
        checks[group["port"]] = check["path"]
    assert checks == {8080: "/restate/health", 9070: "/health", 5122: "/health"}


def test_disabled_ports_and_alb_targets(tmp_path: Path) -> None:
    doc = synth_cluster(
        tmp_path,
        load_balancer=LoadBalancerProps(
            disable_shared_nlb_ports=["ingress"],
            create_alb_targets=True,
            internet_facing=True,
            subnet_ids=["subnet-00000ffa", "subnet-00000ffb", "subnet-00000ffc"],
        ),
        addresses=props_module.AddressesProps(ingress="https://restate.example.com"),
    )
    assert sorted(lst["port"] for lst in of_type(doc, "aws_lb_listener").values()) == [5122, 9070]
    assert one(doc, "aws_lb")["internal"] is False
    assert one(doc, "aws_lb")["subnets"] == [
        "subnet-00000ffa",
        "subnet-00000ffb",
        "subnet-00000ffc",
    ]
    alb_groups = [
        g for g in of_type(doc, "aws_lb_target_group").values() if g["protocol"] == "HTTP"
    ]
    assert sorted(g["port"] for g in alb_groups) == [8080, 9070]
    service = one(doc, "aws_ecs_service", "stateless")
    assert sorted(lb["container_port"] for lb in service["load_balancer"]) == [
        5122,
        8080,
        9070,
        9070,
    ]
    assert doc["output"]["restate_ingress_url"]["value"] == "https://restate.example.com"


def test_load_balancer_names_hold_only_letters_digits_and_hyphens(tmp_path: Path) -> None:
    # AWS refuses "_" in load balancer and target group names; the cluster name may have it.
    doc = synth_cluster(
        tmp_path,
        cluster_name="Prod_Restate_Cluster_For_Payments_Team",
        load_balancer=LoadBalancerProps(create_alb_targets=True),
    )
    names = [one(doc, "aws_lb")["name"]]
    names += [group["name"] for group in of_type(doc, "aws_lb_target_group").values()]
    assert len(names) == 6
    for name in names:
        assert re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?", name), name
    assert one(doc, "aws_lb")["name"] == "Prod-Restate-Cluster-For-Pay-nlb"


# ---- Task definitions and services ------------------------------------------------------


def test_stateless_nodes(minimal: Doc) -> None:
    task_definition = one(minimal, "aws_ecs_task_definition", "stateless")
    assert (task_definition["cpu"], task_definition["memory"]) == ("16384", "32768")
    assert task_definition["runtime_platform"] == [
        {"operating_system_family": "LINUX", "cpu_architecture": "ARM64"}
    ]
    assert re.fullmatch(
        r"\$\{aws_iam_role\.restate_restate_task_role_\w+\.arn\}", task_definition["task_role_arn"]
    )
    assert re.fullmatch(
        r"\$\{aws_iam_role\.restate_restate_execution_role_\w+\.arn\}",
        task_definition["execution_role_arn"],
    )
    definition = container(task_definition)
    assert definition["image"] == "docker.restate.dev/restatedev/restate:1.7.12"
    assert [p["containerPort"] for p in definition["portMappings"]] == [8080, 9070, 5122]
    assert definition["readonlyRootFilesystem"] is True
    environment = env(definition)
    assert environment["RESTATE_ROLES"] == "[admin,http-ingress]"
    assert environment["RESTATE_AUTO_PROVISION"] == "true"
    assert environment["RESTATE_METADATA_CLIENT__TYPE"] == "object-store"
    assert re.fullmatch(
        r"s3://\$\{aws_s3_bucket\.\w+\.bucket\}/metadata",
        environment["RESTATE_METADATA_CLIENT__PATH"],
    )
    assert re.fullmatch(
        r"s3://\$\{aws_s3_bucket\.\w+\.bucket\}/snapshots",
        environment["RESTATE_WORKER__SNAPSHOTS__DESTINATION"],
    )
    assert environment["RESTATE_BIFROST__DEFAULT_PROVIDER"] == "replicated"
    assert environment["RESTATE_DEFAULT_REPLICATION"] == "{zone: 2}"
    assert environment["RESTATE_DEFAULT_NUM_PARTITIONS"] == "128"
    assert (
        environment["RESTATE_INGRESS__ADVERTISED_INGRESS_ENDPOINT"]
        == "http://${aws_lb.restate_nlb_1CE1DD24.dns_name}:8080"
    )
    # The entrypoint's shell expansions are escaped for Terraform ($${...} -> ${...}).
    assert definition["entryPoint"] == ["/bin/sh", "-c"]
    assert "$${ECS_CONTAINER_METADATA_URI_V4" in definition["command"][0]
    assert "healthCheck" in definition

    service = one(minimal, "aws_ecs_service", "stateless")
    assert service["desired_count"] == 3 and service["launch_type"] == "FARGATE"
    assert (
        service["deployment_maximum_percent"],
        service["deployment_minimum_healthy_percent"],
    ) == (200, 100)
    assert service["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]
    assert sorted(lb["container_port"] for lb in service["load_balancer"]) == [5122, 8080, 9070]
    (network,) = service["network_configuration"]
    assert network["assign_public_ip"] is False and len(network["subnets"]) == 3


def test_stateful_nodes_have_a_task_definition_but_no_service(minimal: Doc) -> None:
    task_definition = one(minimal, "aws_ecs_task_definition", "stateful")
    assert task_definition["ephemeral_storage"] == [{"size_in_gib": 200}]
    assert task_definition["volume"] == [{"name": "restate-data"}]
    definition = container(task_definition)
    environment = env(definition)
    assert environment["RESTATE_ROLES"] == "[log-server,worker]"
    assert environment["RESTATE_AUTO_PROVISION"] == "false"
    assert "5122/health" in definition["healthCheck"]["command"][1]
    assert definition["memory"] == 32768
    services = of_type(minimal, "aws_ecs_service").values()
    assert sorted(s["name"] for s in services) == [
        "minimal-restate-controller",
        "minimal-restate-stateless",
    ]
    assert not any("stateful" in s["task_definition"] for s in services)


def test_stateful_nodes_with_ebs_volume(tmp_path: Path) -> None:
    doc = synth_cluster(
        tmp_path,
        stateful_node=StatefulNodeProps(
            ebs_volume=EbsVolumeProps(size_gib=500, iops=6000, throughput=250)
        ),
    )
    task_definition = one(doc, "aws_ecs_task_definition", "stateful")
    assert task_definition["volume"] == [{"name": "restate-data", "configure_at_launch": True}]
    assert "ephemeral_storage" not in task_definition
    environment = env(container(one(doc, "aws_ecs_task_definition", "controller")))
    volume = json.loads(environment["RESTATE_CONTROLLER_EBS_VOLUME"])
    assert re.fullmatch(r"\$\{aws_iam_role\.restate_ebs_role_\w+\.arn\}", volume.pop("role_arn"))
    assert volume == {
        "size_gib": 500,
        "volume_type": "gp3",
        "iops": 6000,
        "throughput": 250,
        "encrypted": True,
    }
    attachment = one(doc, "aws_iam_role_policy_attachment")
    assert attachment["policy_arn"].endswith(
        ":iam::aws:policy/service-role/AmazonECSInfrastructureRolePolicyForVolumes"
    )
    (controller_policy,) = [p for n, p in json_policies(doc) if "controller_task_policy" in n]
    by_sid = {s["Sid"]: s for s in controller_policy["Statement"]}
    assert by_sid["ClusterVolumes"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/restate:cluster": "probe-restate"}
    }
    assert by_sid["ClusterSnapshots"]["Condition"] == by_sid["ClusterVolumes"]["Condition"]
    (volume_role,) = by_sid["PassVolumeRole"]["Resource"]
    assert volume_role.startswith("${aws_iam_role.restate_ebs_role_")


# ---- Controller -------------------------------------------------------------------------


def contract_variables() -> dict[str, bool]:
    """Variable -> required ("yes"/"ecs"), from the table in docs/controller-config.md."""
    rows = re.findall(r"^\| `([A-Z_0-9]+)` \| ([^|]+) \|", CONTRACT.read_text(), flags=re.M)
    return {name: required.strip() in ("yes", "ecs") for name, required in rows}


def test_controller_environment_is_exactly_the_contract(minimal: Doc) -> None:
    contract = contract_variables()
    environment = env(container(one(minimal, "aws_ecs_task_definition", "controller")))
    assert set(environment) <= set(contract)
    required = {
        name for name, needed in contract.items() if needed and name != "AWS_REGION"
    }  # set by ECS
    assert required <= set(environment)
    # Everything optional is written too (explicit beats implicit), except the ones with no value here.
    assert set(contract) - set(environment) == {
        "AWS_REGION",
        "RESTATE_CONTROLLER_RESTATECTL_PATH",
        "RESTATE_CONTROLLER_EBS_VOLUME",
        "RESTATE_CONTROLLER_LOCAL_STATE_DIR",  # local backend only
        "RESTATE_CONTROLLER_TRIM_RETRY_SECONDS",  # controller tuning; its default applies
        "RESTATE_CONTROLLER_UNHEALTHY_GRACE_SECONDS",  # likewise (300 s)
    }
    assert environment["RESTATE_CONTROLLER_BACKEND"] == "ecs"
    assert environment["RESTATE_CONTROLLER_CLUSTER_NAME"] == "minimal-restate"
    assert json.loads(environment["RESTATE_CONTROLLER_SUBNETS_BY_AZ"]).keys() == set(ZONES)
    assert len(json.loads(environment["RESTATE_CONTROLLER_SECURITY_GROUP_IDS"])) == 1
    assert environment["RESTATE_CONTROLLER_NODES_PER_AZ"] == "1"
    assert environment["RESTATE_CONTROLLER_REPLICATION"] == "{zone: 2}"
    assert re.fullmatch(
        r"http://\$\{aws_lb\.\w+\.dns_name\}:5122",
        environment["RESTATE_CONTROLLER_RESTATECTL_ADDRESS"],
    )
    assert re.fullmatch(
        r"http://\$\{aws_lb\.\w+\.dns_name\}:9070", environment["RESTATE_CONTROLLER_ADMIN_URL"]
    )
    assert re.fullmatch(
        r"\$\{aws_ecs_task_definition\.restate_stateful_task_definition_\w+\.arn\}",
        environment["RESTATE_CONTROLLER_TASK_DEFINITION_ARN"],
    )
    assert environment["RESTATE_CONTROLLER_TASK_FAMILY"] == "minimal-restate-stateful"
    assert environment["RESTATE_CONTROLLER_SNAPSHOT_RETENTION_DAYS"] == "7"


def test_controller_service_runs_exactly_one_task(minimal: Doc) -> None:
    service = one(minimal, "aws_ecs_service", "controller")
    assert service["desired_count"] == 1
    assert (
        service["deployment_maximum_percent"],
        service["deployment_minimum_healthy_percent"],
    ) == (100, 0)
    assert "load_balancer" not in service
    definition = container(one(minimal, "aws_ecs_task_definition", "controller"))
    assert re.fullmatch(
        r"\$\{data\.aws_caller_identity\.\w+\.account_id\}\.dkr\.ecr\.\$\{data\.aws_region\.\w+\.name\}\.amazonaws\.com/cdktf-restate-controller:0\.1\.0",
        definition["image"],
    )
    # ECS replaces a controller whose check fails: it checks liveness (/live), so a halted
    # controller stays up and keeps saying why on /health.
    check = definition["healthCheck"]["command"]
    assert check[:3] == ["CMD", "python", "-c"] and "127.0.0.1:8080/live'" in check[3]


def test_services_wait_for_the_policies_their_tasks_need(minimal: Doc) -> None:
    """Without it, a first apply can start tasks before IAM lets them work (AccessDenied)."""
    policies = {
        name: f"aws_iam_role_policy.{name}"
        for name in of_type(minimal, "aws_iam_role_policy")
        if "flow_log" not in name  # the example's own VPC flow-log role
    }

    def policy(part: str) -> str:
        (found,) = [ref for name, ref in policies.items() if part in name]
        return found

    restate = {policy("restate_task_policy"), policy("restate_execution_policy")}
    controller = {policy("controller_task_policy"), policy("controller_execution_policy")}
    stateless = set(one(minimal, "aws_ecs_service", "stateless")["depends_on"])
    assert restate <= stateless and not controller & stateless
    # The controller starts Restate tasks at once: it waits for their policies too.
    assert restate | controller <= set(one(minimal, "aws_ecs_service", "controller")["depends_on"])


def test_controller_iam_is_scoped_to_this_cluster(minimal: Doc) -> None:
    (policy,) = [p for n, p in json_policies(minimal) if "controller_task_policy" in n]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ManageClusterTasks"]["Action"] == [
        "ecs:DescribeTasks",
        "ecs:StopTask",
        "ecs:TagResource",
    ]
    (tasks,) = by_sid["ManageClusterTasks"]["Resource"]
    assert re.fullmatch(
        r"arn:\$\{[^}]+\}:ecs:\$\{[^}]+\}:\$\{[^}]+\}:task/\$\{aws_ecs_cluster\.\w+\.name\}/\*",
        tasks,
    )
    (family,) = by_sid["RunStatefulTasks"]["Resource"]
    assert family.endswith(":task-definition/minimal-restate-stateful:*")
    assert by_sid["RunStatefulTasks"]["Condition"]["ArnEquals"]["ecs:cluster"].startswith(
        "${aws_ecs_cluster."
    )
    assert sorted(by_sid["PassRestateRoles"]["Resource"]) == sorted(
        [
            "${aws_iam_role.restate_restate_execution_role_7E25F77F.arn}",
            "${aws_iam_role.restate_restate_task_role_0DE10A80.arn}",
        ]
    )
    # No EBS volume here: of EC2 only the read-only subnet zone check at start.
    assert by_sid["CheckSubnetZones"] == {
        "Sid": "CheckSubnetZones",
        "Effect": "Allow",
        "Action": ["ec2:DescribeSubnets"],
        "Resource": ["*"],
    }
    assert [a for s in policy["Statement"] for a in s["Action"] if a.startswith("ec2:")] == [
        "ec2:DescribeSubnets"
    ]


def test_no_wildcard_actions_and_resources_scoped(minimal: Doc) -> None:
    checked = 0
    for name, policy in of_type(minimal, "aws_iam_role_policy").items():
        text = policy["policy"]
        if text.startswith("${jsonencode("):
            # Lambda policies (lambdas.py, HCL jsonencode): their actions, read from the text.
            action_lists = re.findall(r'"Action" = (\[[^\]]*\]|"[^"]*")', text)
            actions = [a for group in action_lists for a in re.findall(r'"([^"]+)"', group)]
        else:
            statements = json.loads(text)["Statement"]
            actions = [a for s in statements for a in as_list(s["Action"])]
            for statement in statements:
                if "*" in as_list(statement["Resource"]):
                    actions_on_any = set(statement["Action"])
                    conditioned = actions_on_any & CLUSTER_CONDITIONED_ACTIONS
                    if conditioned:
                        # Scoped by condition to this cluster instead of by resource.
                        cluster_arn = statement["Condition"]["ArnEquals"]["ecs:cluster"]
                        assert cluster_arn.startswith("${aws_ecs_cluster."), (name, statement)
                    assert actions_on_any - conditioned <= UNSCOPABLE_ACTIONS, (name, statement)
                checked += 1
        assert actions, name
        assert not [a for a in actions if a == "*" or a.endswith(":*")], name
    assert checked >= 8


# ---- Defaults, outputs, tokens ----------------------------------------------------------


def test_defaults_equal_the_documented_ones(minimal: Doc) -> None:
    docs = (REPO / "docs" / "construct.md").read_text()
    documented = {
        "desired_count": props_module.DEFAULT_STATELESS_DESIRED_COUNT,
        "default_partitions": props_module.DEFAULT_PARTITIONS,
        "nodes_per_az": props_module.DEFAULT_STATEFUL_NODES_PER_AZ,
        "log_retention_days": props_module.DEFAULT_LOG_RETENTION_DAYS,
        "snapshot_retention_days": props_module.DEFAULT_SNAPSHOT_RETENTION_DAYS,
    }
    for name, value in documented.items():
        assert re.search(rf"`{name}`[^\n]*\| `?{value}`? \|", docs), name
    assert props_module.DEFAULT_RESTATE_IMAGE in docs
    assert (
        one(minimal, "aws_ecs_service", "stateless")["desired_count"]
        == props_module.DEFAULT_STATELESS_DESIRED_COUNT
    )
    assert all(
        g["retention_in_days"] == props_module.DEFAULT_LOG_RETENTION_DAYS
        for g in of_type(minimal, "aws_cloudwatch_log_group").values()
    )
    assert all(g.get("kms_key_id") for g in of_type(minimal, "aws_cloudwatch_log_group").values())
    cluster = one(minimal, "aws_ecs_cluster")
    assert cluster["setting"] == [{"name": "containerInsights", "value": "enhanced"}]


def test_outputs(minimal: Doc) -> None:
    outputs = minimal["output"]
    for name in ("ingress_url", "admin_url", "ecs_cluster_arn", "bucket_name", "controller_service_name",
                 "restatectl_function_arn", "restate_task_role_arn", "controller_task_role_arn"):  # fmt: skip
        assert f"restate_{name}" in outputs, name
    assert outputs["ingress_url"]["value"] == outputs["restate_ingress_url"]["value"]
    # What `cdktf-restate teardown --cluster-name` needs when the name was derived.
    assert outputs["restate_cluster_name"]["value"] == "minimal-restate"


def test_python_attributes_match_outputs(tmp_path: Path) -> None:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "attrs")
    cluster = RestateEcsFargateCluster(
        stack, "restate", vpc_id="vpc-0000aaaa", subnets=[Subnet(subnet_id=f"subnet-0000000{z[-1]}", availability_zone=z) for z in ZONES],
        restatectl=props_module.RestatectlProps(disabled=True),
    )  # fmt: skip
    assert cluster.listeners.ingress is not None and cluster.listeners.admin is not None
    assert cdktf.Token.is_unresolved(cluster.admin_url) and cluster.admin_url.endswith(":9070")
    assert cdktf.Token.is_unresolved(cluster.ingress_url) and cluster.ingress_url.endswith(":8080")
    assert cluster.restatectl_function_arn is None
    assert cluster.cluster_name == "attrs-restate"


def test_subnet_zones_are_looked_up_when_not_given(tmp_path: Path) -> None:
    doc = synth_cluster(tmp_path, cluster_name="lookup")
    assert "aws_subnet" not in doc.get("data", {})
    app = cdktf.App(outdir=str(tmp_path / "b"))
    stack = cdktf.TerraformStack(app, "b")
    RestateEcsFargateCluster(stack, "restate", vpc_id="vpc-0000aaaa", subnets=["subnet-0000000a", "subnet-0000000b", "subnet-0000000c"],
                             restatectl=props_module.RestatectlProps(disabled=True),
                             retirement_watcher=props_module.RetirementWatcherProps(disabled=True))  # fmt: skip
    app.synth()
    doc = json.loads((tmp_path / "b" / "stacks" / "b" / "cdk.tf.json").read_text())
    assert sorted(v["id"] for v in doc["data"]["aws_subnet"].values()) == [
        "subnet-0000000a",
        "subnet-0000000b",
        "subnet-0000000c",
    ]
    environment = env(container(one(doc, "aws_ecs_task_definition", "controller")))
    assert "${data.aws_subnet." in environment["RESTATE_CONTROLLER_SUBNETS_BY_AZ"]


def test_terraform_variables_flow_into_the_resources(tmp_path: Path) -> None:
    app = cdktf.App(outdir=str(tmp_path))
    stack = cdktf.TerraformStack(app, "vars")
    count = cdktf.TerraformVariable(stack, "stateless_count", type="number").number_value
    image = cdktf.TerraformVariable(stack, "image", type="string").string_value
    RestateEcsFargateCluster(
        stack, "restate", vpc_id=cdktf.TerraformVariable(stack, "vpc", type="string").string_value,
        subnets=[Subnet(subnet_id=f"subnet-0000000{z[-1]}", availability_zone=z) for z in ZONES],
        stateless_node=StatelessNodeProps(desired_count=count, restate_image=image),
        restate_tasks=TaskProps(cpu_architecture="X86_64"),
        restatectl=props_module.RestatectlProps(disabled=True),
        retirement_watcher=props_module.RetirementWatcherProps(disabled=True),
    )  # fmt: skip
    app.synth()
    doc = json.loads((tmp_path / "stacks" / "vars" / "cdk.tf.json").read_text())
    service = one(doc, "aws_ecs_service", "stateless")
    assert service["desired_count"] == "${var.stateless_count}"
    assert container(one(doc, "aws_ecs_task_definition", "stateless"))["image"] == "${var.image}"
    assert one(doc, "aws_security_group")["vpc_id"] == "${var.vpc}"


def test_bring_your_own_cluster_groups_nlb_and_roles(tmp_path: Path) -> None:
    task_role = "arn:aws:iam::123456789012:role/platform/restate-task"
    doc = synth_cluster(
        tmp_path,
        ecs_cluster="arn:aws:ecs:us-east-1:123456789012:cluster/shared",
        security_group_ids=["sg-0123456789abcdef0"],
        load_balancer=LoadBalancerProps(
            existing_nlb_arn="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/shared/0123456789abcdef"
        ),
        restate_tasks=TaskProps(
            task_role_arn=task_role,
            execution_role_arn="arn:aws:iam::123456789012:role/restate-exec",
            enable_execute_command=True,
        ),
        stateless_node=StatelessNodeProps(environment={"RESTATE_DEFAULT_NUM_PARTITIONS": "24"}),
    )
    resources = doc["resource"]
    for absent in ("aws_ecs_cluster", "aws_security_group", "aws_security_group_rule", "aws_lb"):
        assert absent not in resources, absent
    assert list(doc["data"]["aws_lb"].values())[0]["arn"].endswith(
        "loadbalancer/net/shared/0123456789abcdef"
    )
    roles = [r["name"] for r in of_type(doc, "aws_iam_role").values()]
    assert not [r for r in roles if "restate-task" in r or "restate-exec" in r]
    task_policy = one(doc, "aws_iam_role_policy", "restate_task_policy")
    assert task_policy["role"] == "restate-task"  # name taken from the given ARN
    statements = json.loads(task_policy["policy"])["Statement"]
    assert any(
        s["Action"] == sorted(s["Action"]) and "ssmmessages:OpenDataChannel" in s["Action"]
        for s in statements
    )
    service = one(doc, "aws_ecs_service", "stateless")
    assert service["cluster"] == "arn:aws:ecs:us-east-1:123456789012:cluster/shared"
    assert service["enable_execute_command"] is True
    assert service["network_configuration"][0]["security_groups"] == ["sg-0123456789abcdef0"]
    listener_arns = {lst["load_balancer_arn"] for lst in of_type(doc, "aws_lb_listener").values()}
    assert listener_arns == {
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/shared/0123456789abcdef"
    }
    definition = container(one(doc, "aws_ecs_task_definition", "stateless"))
    assert env(definition)["RESTATE_DEFAULT_NUM_PARTITIONS"] == "24"  # the user's environment wins
    # ECS Exec's agent writes inside the container: a writable root where Exec is on.
    assert definition["readonlyRootFilesystem"] is False
    assert (
        container(one(doc, "aws_ecs_task_definition", "stateful"))["readonlyRootFilesystem"]
        is False
    )
    controller = container(one(doc, "aws_ecs_task_definition", "controller"))
    assert controller["readonlyRootFilesystem"] is True  # controller.tasks keeps Exec off
    # The stateful tasks get Exec from the controller's RunTask.
    assert env(controller)["RESTATE_CONTROLLER_ENABLE_EXECUTE_COMMAND"] == "true"
    assert one(doc, "aws_ecs_task_definition", "stateless")["task_role_arn"] == task_role
    (controller_policy,) = [p for n, p in json_policies(doc) if "controller_task_policy" in n]
    by_sid = {s["Sid"]: s for s in controller_policy["Statement"]}
    assert by_sid["ManageClusterTasks"]["Resource"][0].endswith(":task/shared/*")
    assert task_role in by_sid["PassRestateRoles"]["Resource"]

    terraform = Terraform(tmp_path / "stacks" / "probe")
    terraform.init()
    terraform.validate()


def test_access_logs_when_a_log_bucket_is_given(tmp_path: Path) -> None:
    doc = synth_cluster(
        tmp_path,
        object_storage=ObjectStorageProps(access_logs_bucket="acme-logs"),
        load_balancer=LoadBalancerProps(
            access_logs_bucket="acme-logs",
            deletion_protection=True,
            ingress_cidr_blocks=["10.0.0.0/16"],
        ),
    )
    rules = [
        r
        for r in of_type(doc, "aws_security_group_rule").values()
        if r.get("cidr_blocks") and r["type"] == "ingress"
    ]
    assert [(r["from_port"], r["cidr_blocks"]) for r in rules] == [(8080, ["10.0.0.0/16"])]
    logging = one(doc, "aws_s3_bucket_logging")
    assert logging["target_bucket"] == "acme-logs"
    nlb = one(doc, "aws_lb")
    assert nlb["access_logs"] == [
        {"bucket": "acme-logs", "prefix": "probe-restate-nlb", "enabled": True}
    ]
    assert nlb["enable_deletion_protection"] is True
    terraform = Terraform(tmp_path / "stacks" / "probe")
    terraform.init()
    terraform.validate()


def test_lambdas_are_wired_to_the_cluster(minimal: Doc) -> None:
    restatectl = one(minimal, "aws_lambda_function", "restatectl")
    (vpc,) = restatectl["vpc_config"]
    assert len(vpc["subnet_ids"]) == 3
    assert vpc["security_group_ids"] == [
        one(minimal, "aws_ecs_service", "stateless")["network_configuration"][0]["security_groups"][
            0
        ]
    ]
    (environment,) = restatectl["environment"]
    assert re.fullmatch(
        r"http://\$\{aws_lb\.\w+\.dns_name\}:5122", environment["variables"]["RESTATECTL_ADDRESS"]
    )
    assert restatectl["architectures"] == ["arm64"]  # follows restate_tasks.cpu_architecture
    key = r"\$\{aws_kms_key\.restate_kms_key_\w+\.arn\}"
    for queue in of_type(minimal, "aws_sqs_queue").values():
        assert re.fullmatch(key, queue["kms_master_key_id"])
    rule = one(minimal, "aws_cloudwatch_event_rule")
    assert "aws_ecs_cluster.restate_ecs_cluster_" in rule["event_pattern"]
    # EventBridge may use the cluster key to deliver to the encrypted queue.
    statements = json.loads(one(minimal, "aws_kms_key")["policy"])["Statement"]
    assert {s["Sid"] for s in statements} == {
        "AccountAdministration",
        "CloudWatchLogs",
        "EventBridgeToSqs",
    }
    # A source condition on EventBridge's grant can make its deliveries fail silently on AWS.
    events = next(s for s in statements if s["Sid"] == "EventBridgeToSqs")
    assert "Condition" not in events
    events_queue = next(q for q in of_type(minimal, "aws_sqs_queue").values() if "policy" in q)
    # The policy holds references, so it is a jsonencode() expression, not JSON text.
    assert re.search(
        r"aws:SourceArn.{0,20}aws_cloudwatch_event_rule\.\w+\.arn", events_queue["policy"]
    ), events_queue["policy"]


def test_every_arn_written_by_the_construct_uses_the_stack_partition(minimal: Doc) -> None:
    """GovCloud and China: no IAM policy of the cluster hard-codes the ``aws`` partition."""
    policies = [
        body["policy"]
        for body in minimal["resource"].get("aws_iam_role_policy", {}).values()
        if "flow_log" not in body["role"]  # the example's own VPC flow-log role
    ]
    assert policies, "expected inline IAM policies"
    for policy in policies:
        assert "arn:aws:" not in policy, policy
    restatectl = next(p for p in policies if "CreateNetworkInterface" in p)
    assert "arn:${data.aws_partition." in restatectl


def test_a_halted_controller_is_a_metric_to_alarm_on(minimal: Doc) -> None:
    (metric,) = of_type(minimal, "aws_cloudwatch_log_metric_filter").values()
    assert re.fullmatch(
        r"\$\{aws_cloudwatch_log_group\.restate_log_group_controller_\w+\.name\}",
        metric["log_group_name"],
    )
    assert metric["pattern"] == '{ ($.event = "status") && ($.phase = "halted") }'
    assert metric["metric_transformation"] == [
        {
            "namespace": "Restate/minimal-restate",
            "name": "ControllerHaltedPasses",
            "value": "1",
            "default_value": "0",
            "unit": "Count",
        }
    ]


def test_no_alarm_without_actions(minimal: Doc) -> None:
    assert of_type(minimal, "aws_cloudwatch_metric_alarm") == {}


@pytest.mark.parametrize(
    ("interval", "period"), [(10, 300), (239, 300), (241, 360), (400, 480), (3600, 3660)]
)
def test_controller_alarms_notify_the_given_topics(
    tmp_path: Path, interval: float, period: int
) -> None:
    topics = ["arn:aws:sns:us-east-1:123456789012:ops", "arn:aws:sns:us-east-1:123456789012:pager"]
    doc = synth_cluster(
        tmp_path,
        cluster_name="payments",
        monitoring=props_module.MonitoringProps(alarm_actions=topics),
        controller=props_module.ControllerProps(reconcile_interval_seconds=interval),
    )
    alarms = {a["alarm_name"]: a for a in of_type(doc, "aws_cloudwatch_metric_alarm").values()}
    assert set(alarms) == {"payments-controller-halted", "payments-controller-silent"}
    (metric,) = of_type(doc, "aws_cloudwatch_log_metric_filter").values()
    transformation = metric["metric_transformation"][0]
    for alarm in alarms.values():
        # Both watch the filter's metric, every period of which holds at least one pass.
        assert (alarm["namespace"], alarm["metric_name"]) == (
            transformation["namespace"],
            transformation["name"],
        )
        # A pass and the pause after it fit in a period (whole minutes).
        assert alarm["period"] == period and period % 60 == 0 and period >= interval + 60
        assert alarm["alarm_actions"] == alarm["ok_actions"] == topics
        assert alarm["tags"] == {"restate:cluster": "payments"}
    halted, silent = alarms["payments-controller-halted"], alarms["payments-controller-silent"]
    # A halted pass in any of the last 3 periods: ALARM; no data is not a halt.
    assert (halted["statistic"], halted["threshold"], halted["comparison_operator"]) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert (halted["evaluation_periods"], halted["datapoints_to_alarm"]) == (3, 1)
    assert halted["treat_missing_data"] == "notBreaching"
    # No status line (no data point at all) for two periods: ALARM.
    assert (silent["statistic"], silent["threshold"], silent["comparison_operator"]) == (
        "SampleCount",
        1,
        "LessThanThreshold",
    )
    assert (silent["evaluation_periods"], silent["treat_missing_data"]) == (2, "breaching")
    # The filter reports 0 when log lines come but none is halted: a running controller
    # always has data points.
    assert transformation["default_value"] == "0"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("minimal/restate", "minimal-restate"),
        ("a/" + "b" * 62 + "/c", "a-" + "b" * 62),  # cut at 64: no trailing '-'
        ("internal/restate", "restate-internal-restate"),  # NLB names may not start so
        ("_stack/x_", "stack-x"),
    ],
)
def test_cluster_name_from_the_construct_path_follows_the_cluster_name_rule(
    path: str, name: str
) -> None:
    from cdktf_restate.cluster.context import cluster_name_from_path
    from cdktf_restate.schema.validation import CLUSTER_NAME_PATTERN

    assert cluster_name_from_path(path) == name
    assert re.fullmatch(CLUSTER_NAME_PATTERN, name)


def test_an_ecs_cluster_given_by_name_synthesizes_quietly(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # The ARN built from its parts is a template; passed to a cdktf function as it is, cdktf
    # printed each such call (124 lines) while synthesizing (review H25).
    doc = synth_cluster(
        tmp_path, ecs_cluster="my-ecs", retirement_watcher=props_module.RetirementWatcherProps()
    )
    captured = capfd.readouterr()
    assert "split(" not in captured.out + captured.err
    rule = one(doc, "aws_cloudwatch_event_rule")
    assert ":cluster/my-ecs" in rule["event_pattern"] and "replace(join(" in rule["event_pattern"]
