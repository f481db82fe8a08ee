"""Restate services on a cluster: the environment they deploy to, invoker roles, the deployer."""
