"""The Control Panel custom-widget Lambda: what restatectl and ECS say about one cluster, as HTML.

Packaged as a directory of its own (``control_panel.handler.handler``) next to a restatectl
binary; it needs only the Python standard library and boto3 (present in the Lambda runtime).
Gathering (``cluster_source``, ``compute_source``) is separate from rendering (``render``), so
``cdktf-restate dashboard preview`` renders a local dev cluster with the same code.
"""
