"""HTML for the Control Panel: a health summary, then one tab (widget) or all tabs (preview).

Every value from the cluster, ECS or tags goes through ``text`` (the standard library's
``html.escape``, quotes included) and every link through ``href`` (http/https only): a node
name or a tag can never add markup. The widget gets no JavaScript (CloudWatch allows none);
its tab buttons are ``<cwdb-action>`` calls of this same function with ``{"tab": ...}``.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Callable, Iterable, Sequence

from .model import TABS, ClusterReport, ComputeReport, Problem, Row, TaskRow

STYLE = """
.rcp{font-family:Arial,Helvetica,sans-serif;font-size:13px;color:#16191f}
.rcp table{border-collapse:collapse;width:100%;margin:4px 0 12px}
.rcp th,.rcp td{border-bottom:1px solid #e9ebed;padding:3px 6px;text-align:left;white-space:nowrap}
.rcp th{background:#f2f3f3}
.rcp .summary{display:flex;flex-wrap:wrap;gap:6px;margin-bottom:8px}
.rcp .pill{border-radius:10px;padding:2px 9px;background:#e9ebed}
.rcp .ok{background:#d9f2dc;color:#1d6b2a}
.rcp .bad{background:#fbe1df;color:#a3180d}
.rcp .warn{background:#fff1cc;color:#7a5100}
.rcp .problems{border:2px solid #d13212;background:#fdf3f1;padding:6px 10px;margin:6px 0}
.rcp .problems h4{margin:0 0 4px;color:#d13212}
.rcp nav a{margin-right:6px}
.rcp a.btn{border:1px solid #879596;border-radius:2px;padding:2px 10px;cursor:pointer}
.rcp nav a.current{font-weight:bold;text-decoration:underline}
.rcp h3{margin:10px 0 2px}
.rcp .muted{color:#5f6b7a}
cwdb-action{display:none}
"""


def text(value: object) -> str:
    """A value as HTML text: escaped, None as an em dash."""
    if value is None or value == "":
        return "&mdash;"
    return html.escape(str(value), quote=True)


def href(url: str) -> str:
    """An escaped link target; anything but http(s) becomes '#'."""
    return html.escape(url, quote=True) if url.startswith(("https://", "http://")) else "#"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], css: str = "") -> str:
    head = "".join(f"<th>{text(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def pill(label: str, css: str) -> str:
    return f'<span class="pill {css}">{text(label)}</span>'


# ---------------------------------------------------------------------------- summary
def alive_nodes(cluster: ClusterReport) -> set[str]:
    return {str(n.get("plain_node_id")) for n in cluster.nodes or () if n.get("state") == "alive"}


def summary(name: str, cluster: ClusterReport, compute: ComputeReport | None, now: float) -> str:
    pills = [pill(f"cluster {name}", "")]
    if cluster.nodes is not None:
        alive = alive_nodes(cluster)
        total = len(cluster.nodes)
        pills.append(
            pill(f"nodes {len(alive)}/{total} alive", "ok" if len(alive) == total else "bad")
        )
    if cluster.partitions is not None:
        led = [
            p
            for p in cluster.partitions
            if str(p.get("leader_plain_node_id")) in alive_nodes(cluster)
        ]
        total = len(cluster.partitions)
        css = "ok" if total and len(led) == total else "bad"
        pills.append(pill(f"partitions {len(led)}/{total} with an alive leader", css))
    if cluster.log_segments is not None:
        pills.append(pill(f"logs {len(cluster.log_segments)}", ""))
    if compute is not None and compute.controller is not None:
        state = compute.controller
        css = "ok" if state.status == "ok" else ("bad" if state.phase == "halted" else "warn")
        pills.append(pill(f"controller {state.phase or state.status}", css))
    pills.append(
        f'<span class="pill muted">at {text(time.strftime("%H:%M:%S", time.gmtime(now)))} UTC</span>'
    )
    return '<div class="summary">' + "".join(pills) + "</div>"


def problems_panel(problems: Sequence[Problem]) -> str:
    if not problems:
        return ""
    items = "".join(f"<li><b>{text(p.source)}</b>: {text(p.message)}</li>" for p in problems)
    return f'<div class="problems"><h4>Could not read everything</h4><ul>{items}</ul></div>'


def unavailable(what: str) -> str:
    return f'<p class="problems">{text(what)} unavailable (see above)</p>'


# ---------------------------------------------------------------------------- tabs
def roles(node: Row) -> str:
    names = ("admin", "worker", "log_server", "ingress", "metadata_server")
    return ", ".join(n.replace("_", "-") for n in names if node.get(f"has_{n}_role"))


def state_cell(value: object, good: Sequence[str]) -> str:
    css = "ok" if value in good else ("" if value is None else "warn")
    return f'<span class="pill {css}">{text(value)}</span>' if value is not None else text(None)


def nodes_tab(cluster: ClusterReport, compute: ComputeReport | None) -> str:
    if cluster.nodes is None:
        return unavailable("nodes")
    rows = [
        (
            text(n.get("plain_node_id")),
            text(n.get("gen_node_id")),
            text(n.get("name")),
            text(roles(n)),
            text(n.get("address")),
            text(n.get("location")),
            state_cell(n.get("state"), ("alive",)),
            state_cell(n.get("storage_state"), ("read-write",)),
            state_cell(n.get("worker_state"), ("active",)),
            text(n.get("binary_version")),
        )
        for n in cluster.nodes
    ]
    headers = (
        "Node",
        "Generation",
        "Name",
        "Roles",
        "Address",
        "Location (AZ)",
        "State",
        "Storage",
        "Worker",
        "Version",
    )
    return table(headers, rows, "nodes")


def partitions_tab(cluster: ClusterReport, compute: ComputeReport | None) -> str:
    if cluster.partitions is None:
        return unavailable("partitions")
    replicas: dict[object, list[Row]] = {}
    for state in cluster.partition_state or ():
        replicas.setdefault(state.get("partition_id"), []).append(state)
    rows = []
    for p in cluster.partitions:
        processors = "<br>".join(
            f"{text(s.get('plain_node_id'))} {text(s.get('effective_mode'))}: applied"
            f" {text(s.get('applied_log_lsn'))}, durable {text(s.get('durable_log_lsn'))}"
            f" ({text(s.get('replay_status'))})"
            for s in replicas.get(p.get("partition_id"), ())
        )
        rows.append(
            (
                text(p.get("partition_id")),
                text(p.get("log_id")),
                text(p.get("leader_plain_node_id")),
                text(p.get("leader_epoch")),
                text(p.get("current_replica_set")),
                processors or text(None),
            )
        )
    headers = ("Partition", "Log", "Leader", "Epoch", "Replica set", "Processors (LSNs)")
    return table(headers, rows, "partitions")


def logs_tab(cluster: ClusterReport, compute: ComputeReport | None) -> str:
    if cluster.log_segments is None:
        return unavailable("logs")
    rows = [
        (
            text(s.get("log_id")),
            text(s.get("segment_index")),
            text(s.get("base_lsn")),
            text(s.get("kind")),
            text(s.get("loglet_id")),
            text(s.get("sequencer")),
            text(s.get("replication")),
            text(s.get("nodeset")),
        )
        for s in cluster.log_segments
    ]
    headers = (
        "Log",
        "Tail segment",
        "Base LSN",
        "Kind",
        "Loglet",
        "Sequencer",
        "Replication",
        "Nodeset",
    )
    return table(headers, rows, "logs")


def age(started_at: float | None, now: float) -> str:
    if started_at is None:
        return ""
    seconds = max(0, int(now - started_at))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def compute_tab(cluster: ClusterReport, compute: ComputeReport | None, now: float) -> str:
    if compute is None:
        return unavailable("compute")
    parts = []
    if compute.controller is not None:
        state = compute.controller
        parts.append(
            f"<p><b>Controller</b> {pill(state.phase or state.status, 'ok' if state.status == 'ok' else 'bad')}"
            f" {text(state.reason)}</p>"
        )
    if compute.tasks is None:
        parts.append(unavailable("tasks"))
    else:

        def row(task: TaskRow) -> Sequence[str]:
            return (
                text(task.kind),
                text(task.task_id),
                text(task.node_id),
                text(task.az),
                text(task.revision),
                state_cell(task.status, ("RUNNING",)),
                state_cell(task.health, ("HEALTHY", "alive")),
                text(task.phase),
                text(age(task.started_at, now)),
            )

        headers = (
            "Kind",
            "Task",
            "Node",
            "AZ",
            "Task definition",
            "Status",
            "Health",
            "Phase",
            "Age",
        )
        parts.append(table(headers, [row(task) for task in compute.tasks], "tasks"))
    if compute.links:
        links = " &middot; ".join(
            f'<a href="{href(link.url)}" target="_blank">{text(link.label)}</a>'
            for link in compute.links
        )
        parts.append(f"<p>{links}</p>")
    return "".join(parts)


TAB_TITLES = {"nodes": "Nodes", "partitions": "Partitions", "logs": "Logs", "compute": "Compute"}


def tab_body(tab: str, cluster: ClusterReport, compute: ComputeReport | None, now: float) -> str:
    renderers: dict[str, Callable[[], str]] = {
        "nodes": lambda: nodes_tab(cluster, compute),
        "partitions": lambda: partitions_tab(cluster, compute),
        "logs": lambda: logs_tab(cluster, compute),
        "compute": lambda: compute_tab(cluster, compute, now),
    }
    return renderers[tab]()


def all_problems(cluster: ClusterReport, compute: ComputeReport | None) -> list[Problem]:
    return [*cluster.problems, *(compute.problems if compute else ())]


def render_widget(
    tab: str,
    name: str,
    cluster: ClusterReport,
    compute: ComputeReport | None,
    *,
    endpoint: str,
    now: float,
) -> str:
    """One tab, with buttons that call ``endpoint`` (this Lambda) for the others."""
    buttons = []
    for other in TABS:
        css = "btn btn-primary current" if other == tab else "btn"
        params = text(json.dumps({"tab": other}))
        buttons.append(
            f'<a class="{css}">{text(TAB_TITLES[other])}</a>'
            f'<cwdb-action action="call" display="widget" endpoint="{text(endpoint)}">'
            f"{params}</cwdb-action>"
        )
    return (
        f'<div class="rcp"><style>{STYLE}</style>'
        + summary(name, cluster, compute, now)
        + "<nav>"
        + "".join(buttons)
        + "</nav>"
        + problems_panel(all_problems(cluster, compute))
        + f'<section id="{tab}"><h3>{text(TAB_TITLES[tab])}</h3>'
        + tab_body(tab, cluster, compute, now)
        + "</section></div>"
    )


def render_page(
    name: str, cluster: ClusterReport, compute: ComputeReport | None, now: float
) -> str:
    """Every tab on one standalone page (``cdktf-restate dashboard preview``)."""
    nav = " ".join(f'<a href="#{t}">{text(TAB_TITLES[t])}</a>' for t in TABS)
    sections = "".join(
        f'<section id="{t}"><h3>{text(TAB_TITLES[t])}</h3>{tab_body(t, cluster, compute, now)}</section>'
        for t in TABS
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>Control Panel: {text(name)}</title></head><body>"
        f'<div class="rcp"><style>{STYLE}</style>'
        + summary(name, cluster, compute, now)
        + f"<nav>{nav}</nav>"
        + problems_panel(all_problems(cluster, compute))
        + sections
        + "</div></body></html>"
    )


def error_panel(what: str, message: str) -> str:
    """What CloudWatch shows when the render itself failed: never a stack trace."""
    return (
        f'<div class="rcp"><style>{STYLE}</style>'
        + problems_panel([Problem(what, message)])
        + "</div>"
    )
