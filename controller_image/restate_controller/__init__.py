"""Restate stateful-node deployment controller."""
