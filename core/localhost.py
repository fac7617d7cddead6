"""Ports and child processes on this machine: shared by the CLI, the embedded servers,
the scripts and the tests. No Dash here: data_feeds and streams import it too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def stop_process(
    process: subprocess.Popen[bytes], timeout: float = 10.0, group: bool = False
) -> None:
    """SIGTERM by PID (or its process group), then SIGKILL if it has not gone in ``timeout``."""
    if process.poll() is not None:
        return
    send = os.killpg if group else os.kill
    send(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        send(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
