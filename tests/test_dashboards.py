"""The dashboards and the widget Lambda, read from the synthesized stack: every metric names a
resource of this stack, the Control Panel calls this stack's widget Lambda, and the Lambda has
the cluster's conventions and nothing more."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from test_synth import Doc, load_example, of_type, one, synth_cluster

from cdktf_restate import RestateConfigError
from cdktf_restate.cluster.dashboard_bodies import MAX_WIDGETS, check_body
from cdktf_restate.schema import props as props_module

REF = re.compile(r"^\$\{(aws_[a-z_0-9]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}$")


@pytest.fixture(scope="module")
def minimal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Doc, Path]:
    outdir = tmp_path_factory.mktemp("minimal")
    stack_dir = Path(load_example("minimal").build(str(outdir)))
    return json.loads((stack_dir / "cdk.tf.json").read_text()), stack_dir


def dashboards(doc: Doc) -> dict[str, dict[str, Any]]:
    """kind (control-panel | metrics) -> parsed body."""
    found = {}
    for dashboard in of_type(doc, "aws_cloudwatch_dashboard").values():
        kind = (
            "control-panel" if dashboard["dashboard_name"].endswith("control-panel") else "metrics"
        )
        found[kind] = json.loads(dashboard["dashboard_body"])
    return found


def referenced(doc: Doc, value: str, resource_type: str, attribute: str) -> Doc:
    """The resource of this stack that ``value`` (``${type.id.attr}``) refers to."""
    match = REF.match(value)
    assert match, f"{value!r} is not a reference to a resource of the stack"
    assert (match[1], match[3]) == (resource_type, attribute), value
    assert match[2] in of_type(doc, resource_type), f"{value}: no such resource"
    return of_type(doc, resource_type)[match[2]]


def test_every_metric_names_a_resource_of_this_stack(minimal: tuple[Doc, Path]) -> None:
    doc, _ = minimal
    body = dashboards(doc)["metrics"]
    (metric_filter,) = of_type(doc, "aws_cloudwatch_log_metric_filter").values()
    (halted,) = metric_filter["metric_transformation"]
    services = {v["name"]: k for k, v in of_type(doc, "aws_ecs_service").items()}
    namespaces = set()
    for widget in body["widgets"]:
        for row in widget["properties"].get("metrics", []):
            namespace, name, *rest = row
            namespaces.add(namespace)
            dims = dict(zip(rest[0::2], rest[1::2], strict=False))
            dims = {k: v for k, v in dims.items() if isinstance(k, str)}
            if namespace == "AWS/ECS":
                referenced(doc, dims["ClusterName"], "aws_ecs_cluster", "name")
                service = referenced(doc, dims["ServiceName"], "aws_ecs_service", "name")
                assert service["name"] in services
            elif namespace == "ECS/ContainerInsights":
                referenced(doc, dims["ClusterName"], "aws_ecs_cluster", "name")
                family = referenced(
                    doc, dims["TaskDefinitionFamily"], "aws_ecs_task_definition", "family"
                )
                assert family["family"].endswith("-stateful")
            elif namespace == "AWS/NetworkELB":
                referenced(doc, dims["TargetGroup"], "aws_lb_target_group", "arn_suffix")
                referenced(doc, dims["LoadBalancer"], "aws_lb", "arn_suffix")
            elif namespace == "AWS/Lambda":
                referenced(doc, dims["FunctionName"], "aws_lambda_function", "function_name")
            else:
                assert (namespace, name, dims) == (halted["namespace"], halted["name"], {})
    assert namespaces == {
        "AWS/ECS",
        "ECS/ContainerInsights",
        "AWS/NetworkELB",
        "AWS/Lambda",
        halted["namespace"],
    }
    # All three Lambdas, each with errors and throttles.
    lambdas = [w for w in body["widgets"] if w["properties"].get("title", "").startswith("Lambdas")]
    rows = lambdas[0]["properties"]["metrics"]
    # The destroy-time cleanup runs once, at destroy: the dashboard leaves it out.
    running = [f for f in of_type(doc, "aws_lambda_function") if "cleanup" not in f]
    assert len({row[3] for row in rows}) == len(running) == 3
    # The NLB widget covers every listener's target group.
    nlb = next(
        w for w in body["widgets"] if w["properties"].get("title") == "NLB targets per listener"
    )
    groups = {row[3] for row in nlb["properties"]["metrics"]}
    assert len(groups) == len(of_type(doc, "aws_lb_target_group")) == 3


def test_log_widgets_read_this_stacks_log_groups(minimal: tuple[Doc, Path]) -> None:
    doc, _ = minimal
    for body in dashboards(doc).values():
        for widget in body["widgets"]:
            if widget["type"] != "log":
                continue
            source = re.match(r"^SOURCE '([^']+)' \|", widget["properties"]["query"])
            assert source, widget
            group = referenced(doc, source[1], "aws_cloudwatch_log_group", "name")
            assert group["name"].startswith("/ecs/minimal-restate/")


def test_control_panel_calls_this_stacks_widget_lambda(minimal: tuple[Doc, Path]) -> None:
    doc, stack_dir = minimal
    body = dashboards(doc)["control-panel"]
    custom = [w for w in body["widgets"] if w["type"] == "custom"]
    assert [w["properties"]["params"] for w in custom] == [{"tab": "nodes"}, {"tab": "compute"}]
    (endpoint,) = {w["properties"]["endpoint"] for w in custom}
    function = referenced(doc, endpoint, "aws_lambda_function", "arn")
    assert function["handler"] == "control_panel.handler.handler"
    assert function["runtime"] == "python3.12"
    assert function["reserved_concurrent_executions"] >= 1
    restatectl = one(doc, "aws_lambda_function", "restatectl")
    assert function["vpc_config"] == restatectl["vpc_config"]
    assert function["architectures"] == restatectl["architectures"]
    variables = function["environment"][0]["variables"]
    assert (
        variables["RESTATECTL_ADDRESS"]
        == restatectl["environment"][0]["variables"]["RESTATECTL_ADDRESS"]
    )
    referenced(doc, variables["RESTATE_ECS_CLUSTER"], "aws_ecs_cluster", "arn")
    referenced(doc, variables["RESTATE_CONTROLLER_LOG_GROUP"], "aws_cloudwatch_log_group", "name")
    assert variables["RESTATE_METRICS_DASHBOARD"] == "minimal-restate-metrics"
    # Its own log group, with retention and the cluster's key.
    group = one(doc, "aws_cloudwatch_log_group", "control_panel")
    assert group["name"] == f"/aws/lambda/{function['function_name']}"
    assert group["retention_in_days"] == 365 and group["kms_key_id"]
    # It reads Restate's tables through the cluster's restatectl function, by name.
    referenced(doc, variables["RESTATECTL_FUNCTION"], "aws_lambda_function", "function_name")
    assert "restatectl" in variables["RESTATECTL_FUNCTION"]
    # The package: the handler package, pure Python, small enough to commit with the module.
    with zipfile.ZipFile(stack_dir / function["filename"]) as archive:
        names = set(archive.namelist())
    assert {"control_panel/handler.py", "control_panel/render.py"} <= names
    assert all(name.startswith("control_panel/") and name.endswith(".py") for name in names)


def test_widget_role_reads_only_this_cluster(minimal: tuple[Doc, Path]) -> None:
    doc, _ = minimal
    policy = one(doc, "aws_iam_role_policy", "control_panel")["policy"]
    actions = set(re.findall(r'"((?:ecs|logs|ec2|sqs|kms|xray|lambda):[A-Z][A-Za-z]+)"', policy))
    assert actions == {
        "lambda:InvokeFunction",
        "ecs:ListTasks",
        "ecs:DescribeTasks",
        "logs:FilterLogEvents",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
    }
    # Both ECS reads carry the cluster condition; FilterLogEvents names the controller's group.
    assert policy.count('"ecs:cluster" = aws_ecs_cluster.') == 2
    assert "aws_cloudwatch_log_group.restate_log_group_controller" in policy
    assert not re.search(r"(ecs|logs|lambda):\*", policy)
    # The one function it may invoke: the cluster's restatectl.
    (invoked,) = re.findall(r'"lambda:InvokeFunction"\s*\]?,?\s*"?Resource"?\s*[:=]\s*"([^"]*)"', policy)
    assert re.search(r":function:\$\{aws_lambda_function\.restate_restatectl_function_\w+\.function_name\}$", invoked), invoked


def test_names_disabled_dashboards_and_the_plain_fallback(tmp_path: Path) -> None:
    monitoring = props_module.MonitoringProps(
        dashboard=props_module.DashboardsProps(
            metrics=props_module.DashboardProps(disabled=True),
            control_panel=props_module.DashboardProps(autogenerated_name=True),
            custom_widgets=props_module.CustomWidgetsProps(disabled=True),
        )
    )
    doc = synth_cluster(tmp_path, monitoring=monitoring, cluster_name="probe-cluster")
    (dashboard,) = of_type(doc, "aws_cloudwatch_dashboard").values()
    name = re.fullmatch(r"\$\{local\.([A-Za-z0-9_]+)\}", dashboard["dashboard_name"])
    assert name, dashboard["dashboard_name"]
    assert re.fullmatch(
        r"probe-cluster-control-panel-\$\{substr\(sha1\(.*\), 0, 8\)\}", doc["locals"][name[1]]
    ), doc["locals"][name[1]]
    body = json.loads(dashboard["dashboard_body"])
    assert {w["type"] for w in body["widgets"]} == {"text", "metric", "log"}
    assert "cdktf-restate ctl --cluster probe-cluster" in json.dumps(body)
    assert not [f for f in of_type(doc, "aws_lambda_function") if "control" in f]
    outputs = {k for k in doc["output"] if "dashboard" in k}
    assert outputs == {"restate_control_panel_dashboard_name"}


@pytest.mark.parametrize(
    ("dashboard", "message"),
    [
        (
            {"custom_widgets": props_module.CustomWidgetsProps(execution_role_arn="role/x")},
            "monitoring.dashboard.custom_widgets.execution_role_arn: 'role/x' is not an IAM role "
            "ARN; allowed: arn:aws:iam::ACCOUNT:role/",
        ),
        (
            {"metrics": props_module.DashboardProps(disabled="yes")},  # type: ignore[arg-type]
            "monitoring.dashboard.metrics.disabled: str 'yes' given; allowed: true or false",
        ),
    ],
)
def test_bad_dashboard_props_fail_before_synthesis(
    tmp_path: Path, dashboard: dict[str, Any], message: str
) -> None:
    monitoring = props_module.MonitoringProps(dashboard=props_module.DashboardsProps(**dashboard))
    with pytest.raises(RestateConfigError) as raised:
        synth_cluster(tmp_path, monitoring=monitoring)
    assert str(raised.value).startswith(message)
    assert not list(tmp_path.rglob("cdk.tf.json"))  # raised before app.synth()


def test_a_body_over_cloudwatchs_limits_is_refused() -> None:
    widget = {"type": "metric", "properties": {"metrics": [["AWS/ECS", "CPUUtilization"]] * 501}}
    with pytest.raises(RestateConfigError, match=r"widgets\[0\]: 501 metrics in one widget"):
        check_body("monitoring.dashboard.metrics", {"widgets": [widget]})
    too_many = {"widgets": [{"type": "text", "properties": {}}] * (MAX_WIDGETS + 1)}
    with pytest.raises(RestateConfigError, match="501 widgets; allowed: at most 500"):
        check_body("monitoring.dashboard.metrics", too_many)


def test_layout_command_draws_every_widget_in_chromium(minimal: tuple[Doc, Path]) -> None:
    import subprocess
    import sys

    from cdktf_restate.devtools.browser import dump_dom
    from cdktf_restate.devtools.html_reading import visible_text

    doc, stack_dir = minimal
    shots = Path(__file__).resolve().parents[1] / "build" / "screenshots"
    page, png = shots / "metrics-layout.html", shots / "metrics-layout.png"
    command = [sys.executable, "-m", "cdktf_restate.cli", "dashboard", "layout"]
    command += ["--stack", str(stack_dir), "--out", str(page), "--screenshot", str(png)]
    subprocess.run([*command, "--name", "minimal-restate-metrics"], check=True, timeout=120)
    assert png.stat().st_size > 10_000
    text = visible_text(dump_dom(page))
    for widget in dashboards(doc)["metrics"]["widgets"]:
        assert widget["properties"].get("title", "") in text
    # Names the stack knows are shown resolved, the rest as what they are.
    assert "ServiceName=minimal-restate-stateless" in text
    assert "LoadBalancer=‹aws_lb.arn_suffix›" in text
    wrong = subprocess.run(
        [*command, "--name", "nope"], capture_output=True, text=True, timeout=120, check=False
    )
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("cdktf-restate dashboard: no dashboard 'nope' in ")
    assert "minimal-restate-control-panel" in wrong.stderr
