"""nginx with the shipped deploy/nginx.conf in front of replicas on this machine, every file in a scratch folder
(for tests/test_replicas.py and bench/replicas.py)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_conf(tmp: Path, listen: int, ports: list[int]) -> Path:
    """The shipped config with this test's ports, inside a main config that keeps every file in `tmp`."""
    site = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    site = re.sub(r"listen \d+;", f"listen 127.0.0.1:{listen};", site)
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=15s;\n" for p in ports)
    site = re.sub(r"(    server 127\.0\.0\.1:\d+ [^\n]*\n)+", servers, site)
    (tmp / "interviewer.conf").write_text(site, encoding="utf-8")
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp / folder).mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = f"""{user}worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{
    log_format upstream '$request_uri $upstream_addr $status';
    access_log {tmp}/access.log upstream;
    client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy; fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
    include {tmp}/interviewer.conf;
}}
"""
    (tmp / "nginx.conf").write_text(main, encoding="utf-8")
    return tmp / "nginx.conf"
