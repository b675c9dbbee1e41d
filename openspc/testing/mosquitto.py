"""A real Mosquitto broker process on a free port, for tests and benchmarks.

Optionally with TLS (a CA, a server certificate for 127.0.0.1 and, when client certificates
are required, a client certificate, all generated with the ``openssl`` command) and with
users from a password file (made with ``mosquitto_passwd``)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class MosquittoBroker:
    """Start with ``start()``; ``restart()`` keeps the port and the persisted sessions."""

    def __init__(
        self,
        extra_config: str = "",
        port: int | None = None,
        *,
        users: Mapping[str, str] | None = None,
        tls: bool = False,
        client_certificates: bool = False,
    ) -> None:
        """``users``: name -> password (anonymous clients are then refused); ``tls``: the
        listener speaks TLS only (``ca_file`` verifies it); ``client_certificates``: clients
        must present a certificate signed by that CA (``client_cert``/``client_key``)."""
        binary = shutil.which("mosquitto") or next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
        )
        if binary is None:
            raise RuntimeError(
                "the 'mosquitto' binary is missing: install the Debian package (apt-get install "
                "mosquitto) or run 'make test', which installs it"
            )
        self.binary = binary
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="openspc-mosquitto-"))
        self.config = self.dir / "mosquitto.conf"
        self.tls = tls or client_certificates
        self.ca_file = self.dir / "ca.crt"
        self.client_cert = self.dir / "client.crt"
        self.client_key = self.dir / "client.key"
        listener = f"listener {self.port} 127.0.0.1\n"
        if self.tls:
            make_certificates(self.dir, client=client_certificates)
            listener += (
                f"cafile {self.ca_file}\ncertfile {self.dir / 'server.crt'}\n"
                f"keyfile {self.dir / 'server.key'}\n"
                f"require_certificate {'true' if client_certificates else 'false'}\n"
            )
        if users:
            listener += f"password_file {make_password_file(self.dir, users)}\n"
        self.config.write_text(
            listener
            # as root, mosquitto would switch to the user "mosquitto", which cannot write here
            + f"user {pwd.getpwuid(os.geteuid()).pw_name}\n"
            f"allow_anonymous {'false' if users else 'true'}\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n"
            "persistence true\n"
            f"persistence_location {self.dir}/\n"
            "autosave_interval 1\n"
            f"log_dest file {self.dir}/mosquitto.log\n" + extra_config
        )
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        path = self.dir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> MosquittoBroker:
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, downtime: float = 0.0) -> None:
        self.stop()
        time.sleep(downtime)
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def make_certificates(directory: Path, *, client: bool = False) -> None:
    """``ca.crt``, ``server.crt``/``server.key`` (for 127.0.0.1 and localhost) and, with
    ``client``, ``client.crt``/``client.key`` in ``directory`` (openssl, EC P-256, 1 day)."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
            "-subj", "/CN=OpenSPC test CA")  # fmt: skip
    names = [("server", "subjectAltName=IP:127.0.0.1,DNS:localhost")]
    if client:
        names.append(("client", "extendedKeyUsage=clientAuth"))
    for name, extension in names:
        (directory / f"{name}.ext").write_text(extension + "\n")
        openssl("req", "-new", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN=openspc-test-{name}")  # fmt: skip
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.crt", "-days", "1",
                "-extfile", f"{name}.ext")  # fmt: skip


def make_password_file(directory: Path, users: Mapping[str, str]) -> Path:
    """A Mosquitto password file (hashed by ``mosquitto_passwd``)."""
    path = directory / "passwords"
    path.write_text("".join(f"{name}:{password}\n" for name, password in users.items()))
    subprocess.run(["mosquitto_passwd", "-U", str(path)], check=True, capture_output=True)
    return path
