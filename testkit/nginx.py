"""A real nginx in front of citywall, configured from the shipped site file
(deploy/nginx/citywall.conf) with only its ports, upstreams and certificate
substituted, and a throw-away self-signed certificate made by openssl."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import requests

from core.localhost import free_port, stop_process
from testkit.citywall import ROOT

SITE = ROOT / "deploy" / "nginx" / "citywall.conf"
MAIN = """\
{user}
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/citywall.conf;
}}
"""


def self_signed(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


class Nginx:
    def __init__(self, prefix: Path, web_port: int, relay_port: int) -> None:
        self.prefix = prefix
        self.https_port, self.http_port = free_port(), free_port()
        cert, key = self_signed(prefix)
        site = SITE.read_text(encoding="utf-8")
        for old, new in {
            "listen 80;": f"listen 127.0.0.1:{self.http_port};",
            "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
            "server 127.0.0.1:8050;": f"server 127.0.0.1:{web_port};",
            "server 127.0.0.1:8889;": f"server 127.0.0.1:{relay_port};",
            "/etc/ssl/citywall/fullchain.pem": str(cert),
            "/etc/ssl/citywall/privkey.pem": str(key),
        }.items():
            assert old in site, f"{SITE} no longer has {old!r}"
            site = site.replace(old, new)
        # No IPv6 listener: a test machine may have none.
        site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
        (prefix / "citywall.conf").write_text(site, encoding="utf-8")
        user = "user root;" if os.geteuid() == 0 else ""  # workers read our temp dirs
        (prefix / "nginx.conf").write_text(MAIN.format(prefix=prefix, user=user))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.log = prefix / "nginx.out"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.url = f"https://127.0.0.1:{self.https_port}"
        self._wait()

    def _wait(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.log.read_text()}")
            try:
                requests.get(f"{self.url}/healthz", verify=False, timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not answer in {timeout} s")

    def stop(self) -> None:
        stop_process(self.process, timeout=10)
