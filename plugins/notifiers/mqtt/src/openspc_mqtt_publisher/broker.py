"""Where and how the publisher connects: address, credentials and TLS."""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiomqtt

from openspc.config import Settings
from openspc_sparkplug.simulator import BrokerAddress


@dataclass(frozen=True)
class Broker:
    address: BrokerAddress
    username: str | None
    password: str | None
    tls: ssl.SSLContext | None

    @classmethod
    def configure(cls, url: str, settings: Settings) -> Broker:
        """``url``'s host and port; its user and password, else the kernel's; TLS for
        ``mqtts://`` or when the kernel has a CA file, with its client certificate if set."""
        address = BrokerAddress.parse(url)
        username, password = address.username, address.password
        if username is None:
            username, password = settings.mqtt_username, settings.mqtt_password
        tls = None
        if address.tls or settings.mqtt_ca_file is not None:
            ca = settings.mqtt_ca_file
            tls = ssl.create_default_context(cafile=None if ca is None else str(ca))
            if settings.mqtt_cert_file is not None:
                tls.load_cert_chain(settings.mqtt_cert_file, settings.mqtt_key_file)
        return cls(address, username, password, tls)

    def __str__(self) -> str:
        return f"{self.address.hostname}:{self.address.port}"

    def client(self, identifier: str, keepalive: int, will: aiomqtt.Will | None) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.address.hostname,
            self.address.port,
            username=self.username,
            password=self.password,
            identifier=identifier,
            clean_session=True,
            keepalive=keepalive,
            will=will,
            tls_context=self.tls,
        )
