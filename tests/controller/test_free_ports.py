"""Ports for the local servers: distinct, bindable, and outside the kernel's ephemeral range
(where any outgoing connection could take one before the server binds it)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from restate_controller.backends import local


def ephemeral_range() -> range:
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    return range(low, high + 1)


def test_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    ports = local.free_ports(20)
    assert len(set(ports)) == 20
    ephemeral = ephemeral_range()
    if len(local._listen_range()) >= 20:  # a range starting low leaves no room below it
        assert all(port < ephemeral.start for port in ports), (ports, ephemeral)
    assert not set(ports) & set(local.free_ports(20)), "a port was handed out twice"
    for port in ports:
        with socket.socket() as sock:
            sock.bind((local.LOOPBACK, port))


def test_a_port_in_use_is_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind((local.LOOPBACK, 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        monkeypatch.setattr(local, "_listen_range", lambda: range(busy, busy + 3))
        ports = local.free_ports(2)
    assert busy not in ports and len(set(ports)) == 2


def test_without_room_below_the_ephemeral_range_the_kernel_chooses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    starts_low = tmp_path / "ip_local_port_range"
    starts_low.write_text("1024\t65000\n")
    monkeypatch.setattr(local, "EPHEMERAL_RANGE", starts_low)
    assert len(local._listen_range()) == 0
    ports = local.free_ports(3)
    assert len(set(ports)) == 3 and all(port >= 1024 for port in ports)
