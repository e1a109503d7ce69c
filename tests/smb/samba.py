"""A real Samba server on loopback for the SMB tests: a throwaway smbd on a free high port.

Everything smbd writes (passdb, locks, state, cache, pid, logs) stays in one temporary
folder. The share's files belong to root and the SMB user is the unprivileged ``nobody``,
so a root-only file or folder on the share is one the scan cannot read.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

USER = "nobody"
PASSWORD = "Pw-7kQ9-docscan-smb"  # distinctive: tests grep every output for it
DEBIAN_PACKAGE = "samba"


def smbd_binary() -> str | None:
    return shutil.which("smbd") or next((p for p in ("/usr/sbin/smbd",) if os.access(p, os.X_OK)), None)


@dataclass
class Samba:
    """One running smbd serving ``shares`` (name -> folder) on 127.0.0.1:``port``."""

    base: str
    port: int
    process: subprocess.Popen

    def url(self, share: str, *parts: str) -> str:
        return f"smb://127.0.0.1:{self.port}/" + "/".join((share, *parts))

    def log(self) -> str:
        with open(os.path.join(self.base, "smbd.log"), "rb") as fh:
            return fh.read()[-4000:].decode("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # smbd and the children it forked per connection
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        shutil.rmtree(self.base, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(base: str, port: int, shares: dict[str, str], charset: str) -> str:
    dirs = {name: os.path.join(base, name) for name in ("private", "lock", "state", "cache", "pid", "ncalrpc")}
    for path in dirs.values():
        os.makedirs(path, mode=0o700, exist_ok=True)
    lines = [
        "[global]",
        "server role = standalone server",
        "interfaces = 127.0.0.1",
        "bind interfaces only = yes",
        f"smb ports = {port}",
        "disable netbios = yes",
        f"unix charset = {charset}",
        f"passdb backend = tdbsam:{dirs['private']}/passdb.tdb",
        "map to guest = never",
        "load printers = no",
        "printing = bsd",
        "printcap name = /dev/null",
        "disable spoolss = yes",
        f"log file = {base}/smbd.log",
        "log level = 1",
        *(f"{key} directory = {dirs[key]}" for key in ("lock", "state", "cache", "pid")),
        f"private dir = {dirs['private']}",
        f"ncalrpc dir = {dirs['ncalrpc']}",
    ]
    for name, path in shares.items():  # writable on purpose: a scan that tried to write would succeed
        lines += [f"[{name}]", f"path = {path}", "read only = no", f"valid users = {USER}"]
    conf = os.path.join(base, "smb.conf")
    with open(conf, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return conf


def start(shares: dict[str, str], charset: str = "UTF-8") -> Samba:
    """Start smbd serving ``shares``; raises RuntimeError (with smbd's log) when it does not come up."""
    smbd = smbd_binary()
    assert smbd is not None
    base = tempfile.mkdtemp(prefix="docscan-samba-")
    port = _free_port()
    conf = _config(base, port, shares, charset)
    smbpasswd = shutil.which("smbpasswd") or "/usr/bin/smbpasswd"
    added = subprocess.run([smbpasswd, "-c", conf, "-s", "-a", USER], input=f"{PASSWORD}\n{PASSWORD}\n",
                           capture_output=True, text=True, timeout=60)
    if added.returncode:
        raise RuntimeError(f"smbpasswd -a {USER} failed: {added.stderr or added.stdout}")
    with open(os.path.join(base, "smbd.out"), "wb") as out:
        process = subprocess.Popen([smbd, "--foreground", "--no-process-group", f"--configfile={conf}"],
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    server = Samba(base, port, process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    with open(os.path.join(base, "smbd.out"), "rb") as fh:
        output = fh.read()[-3000:].decode("utf-8", "replace")
    server.stop()
    raise RuntimeError(f"smbd did not start (exit {process.poll()}): {output}")
