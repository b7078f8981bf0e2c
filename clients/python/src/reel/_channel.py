"""Channels (plaintext or TLS) and what both clients share."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Tuple, TypeVar, Union

import grpc

from reel._errors import call

#: The deadline of every call, in seconds, unless the client or the call
#: sets another (None: no deadline).
DEFAULT_TIMEOUT = 10.0


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: "The client's timeout" for a call's `timeout` argument.
DEFAULT = _Default()

Timeout = Union[float, None, _Default]
ChannelOptions = Sequence[Tuple[str, Union[str, int]]]


@dataclass(frozen=True)
class Tls:
    """TLS settings of a channel, as PEM bytes.

    root_certificates verify the server (None: the system's roots);
    certificate_chain + private_key are the client certificate (None: no
    client certificate), whose identity the services' authorization policy
    decides on.
    """

    root_certificates: Optional[bytes] = None
    certificate_chain: Optional[bytes] = None
    private_key: Optional[bytes] = None

    @classmethod
    def from_dir(cls, directory: Union[str, "os.PathLike[str]"]) -> "Tls":
        """From a folder laid out like the services' --tls_dir: ca.crt, and
        tls.crt + tls.key when the client has a certificate. Absent files
        are None."""
        folder = Path(directory)
        if not folder.is_dir():
            raise FileNotFoundError(f"TLS folder {folder} does not exist")

        def read(name: str) -> Optional[bytes]:
            path = folder / name
            return path.read_bytes() if path.is_file() else None

        return cls(root_certificates=read("ca.crt"), certificate_chain=read("tls.crt"),
                   private_key=read("tls.key"))

    def credentials(self) -> grpc.ChannelCredentials:
        if (self.certificate_chain is None) != (self.private_key is None):
            raise ValueError("a client certificate needs both certificate_chain and private_key")
        return grpc.ssl_channel_credentials(root_certificates=self.root_certificates,
                                            private_key=self.private_key,
                                            certificate_chain=self.certificate_chain)


TlsArg = Union[Tls, str, "os.PathLike[str]", None]


def open_channel(address: str, tls: TlsArg = None,
                 options: ChannelOptions = ()) -> grpc.Channel:
    """A channel to `address` ("host:port"): plaintext when `tls` is None,
    else TLS with a Tls or a folder path for Tls.from_dir."""
    if tls is None:
        return grpc.insecure_channel(address, options=list(options))
    if not isinstance(tls, Tls):
        tls = Tls.from_dir(tls)
    return grpc.secure_channel(address, tls.credentials(), options=list(options))


# grpc.health.v1.Health/Check without generated health stubs (Debian ships
# none for Python): the request and response are tiny, so they are encoded
# here. HealthCheckResponse is {ServingStatus status = 1}.
_SERVING_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}


def _varint(data: bytes, i: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        byte = data[i]
        value |= (byte & 0x7F) << shift
        i += 1
        if not byte & 0x80:
            return value, i
        shift += 7


def _encode_health_request(service: str) -> bytes:
    raw = service.encode("utf-8")
    if not raw:
        return b""
    length, out = len(raw), bytearray(b"\x0a")
    while length >= 0x80:
        out.append(length & 0x7F | 0x80)
        length >>= 7
    out.append(length)
    return bytes(out) + raw


def _decode_health_status(data: bytes) -> str:
    status, i = 0, 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            if field == 1:
                status = value
        elif wire == 1:
            i += 8
        elif wire == 2:
            length, i = _varint(data, i)
            i += length
        elif wire == 5:
            i += 4
        else:
            raise ValueError(f"unexpected wire type {wire} in a HealthCheckResponse")
    return _SERVING_STATUS.get(status, str(status))


_C = TypeVar("_C", bound="_Client")


class _Client:
    """A client over one channel: its own (from an address), closed with the
    client, or one passed in, left open."""

    def __init__(self, target: Union[str, grpc.Channel], *, tls: TlsArg = None,
                 timeout: Optional[float] = DEFAULT_TIMEOUT,
                 options: ChannelOptions = ()) -> None:
        if isinstance(target, grpc.Channel):
            if tls is not None or options:
                raise ValueError("tls and options apply to an address, not to a channel")
            self._channel, self._owns_channel = target, False
        else:
            self._channel, self._owns_channel = open_channel(target, tls, options), True
        self.timeout = timeout

    @property
    def channel(self) -> grpc.Channel:
        return self._channel

    def _timeout(self, timeout: Timeout) -> Optional[float]:
        return self.timeout if isinstance(timeout, _Default) else timeout

    def check_health(self, service: str = "", *, timeout: Timeout = DEFAULT) -> str:
        """grpc.health.v1.Health/Check: "SERVING", "NOT_SERVING", "UNKNOWN"
        or "SERVICE_UNKNOWN" for `service` ("": the whole server)."""
        check = self._channel.unary_unary(
            "/grpc.health.v1.Health/Check", request_serializer=_encode_health_request,
            response_deserializer=_decode_health_status)
        status: str = call(check, service, timeout=self._timeout(timeout))
        return status

    def close(self) -> None:
        """Closes the channel if the client opened it."""
        if self._owns_channel:
            self._channel.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
