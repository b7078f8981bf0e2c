"""ReelError: a failed call, with its gRPC status code and message."""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

import grpc

T = TypeVar("T")


class ReelError(Exception):
    """A call the service (or the channel) answered with a non-OK status.

    `code` is the grpc.StatusCode (e.g. StatusCode.INVALID_ARGUMENT) and
    `message` the service's message, which names the request field at fault
    (e.g. "query: unbalanced quote at byte 0"). str(error) is
    "CODE_NAME: message". The grpc.RpcError it came from is its __cause__.
    """

    code: grpc.StatusCode
    message: str

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    @property
    def code_name(self) -> str:
        """The code's name, e.g. "NOT_FOUND"."""
        return str(self.code.name)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    def __repr__(self) -> str:
        return f"ReelError({self.code}, {self.message!r})"

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> "ReelError":
        """The ReelError for a grpc.RpcError raised by a call or a stream."""
        code = error.code() if callable(getattr(error, "code", None)) else None
        details = error.details() if callable(getattr(error, "details", None)) else None
        return cls(code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN,
                   details if isinstance(details, str) else str(error))


def call(function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """function(*args, **kwargs), a grpc.RpcError raised as ReelError."""
    try:
        return function(*args, **kwargs)
    except grpc.RpcError as error:
        raise ReelError.from_rpc_error(error) from error


def messages(stream: Iterator[T]) -> Iterator[T]:
    """The messages of a response stream, a grpc.RpcError raised as ReelError."""
    while True:
        try:
            message = next(stream)
        except StopIteration:
            return
        except grpc.RpcError as error:
            raise ReelError.from_rpc_error(error) from error
        yield message


__all__ = ["ReelError"]
