"""Typed exceptions: every error the server reports becomes one of these, never a silent None.

Each carries the server's ``extensions.code`` (``code``), the HTTP status (``status``) and the
full list of GraphQL errors (``errors``) so nothing the server said is lost.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional


class QdcError(Exception):
    """Base class of every error the client raises.

    Attributes:
        code: the server's ``extensions.code`` (``NOT_FOUND``, ``BAD_USER_INPUT``, ...), or None
            when the server gave none (e.g. a proxy's HTML error page).
        status: the HTTP status of the response, or None when there was no response.
        extensions: the error's whole ``extensions`` object (``argument``, ``line``, ...).
        errors: every error of the response (GraphQL may report several).
    """

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        status: Optional[int] = None,
        extensions: Optional[Dict[str, Any]] = None,
        errors: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extensions = dict(extensions or {})
        self.errors = list(errors or [])

    def __str__(self) -> str:
        tags = [t for t in (self.code, f"HTTP {self.status}" if self.status else None) if t]
        return f"{self.message} ({', '.join(tags)})" if tags else self.message


class BadInputError(QdcError):
    """``BAD_USER_INPUT``: an argument the server refused (the message says which and why)."""


class BadRequestError(QdcError):
    """``BAD_REQUEST``: a malformed request (invalid JSON or gzip, a bad path part)."""


class NotFoundError(QdcError):
    """``NOT_FOUND``: the dataset, version or job named does not exist."""


class AuthenticationError(QdcError):
    """``UNAUTHENTICATED``: the server needs an API key and none (or an invalid one) was sent."""


class ForbiddenError(QdcError):
    """``FORBIDDEN``: the API key's role is not enough for the operation (or, for ``cancel``, the
    job was queued by another key and this one is not an admin)."""


class PayloadTooLargeError(QdcError):
    """``PAYLOAD_TOO_LARGE``: the request body is over the server's limit."""


class UnsupportedMediaTypeError(QdcError):
    """``UNSUPPORTED_MEDIA_TYPE``: a bulk body with a content type or encoding the route refuses."""


class GraphQLError(QdcError):
    """``GRAPHQL_PARSE_FAILED`` / ``GRAPHQL_VALIDATION_FAILED``: the operation itself is invalid."""


class ServerError(QdcError):
    """``INTERNAL_SERVER_ERROR`` or any HTTP 5xx; ``extensions['requestId']`` names the log line."""


class TransportError(QdcError):
    """The request did not complete: connection refused, reset, or a stream cut off midway."""


class JobFailedError(QdcError):
    """A job the client waited for ended FAILED; ``job`` holds its last state, ``message`` its error."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message, code="JOB_FAILED")
        self.job = job


class JobCancelledError(QdcError):
    """A job the client waited for ended CANCELLED (its results are PARTIAL); ``job`` holds it."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message, code="JOB_CANCELLED")
        self.job = job


class JobTimeoutError(QdcError):
    """Waiting for a job took longer than the ``timeout`` given; the job itself keeps running."""

    def __init__(self, message: str, job: Any) -> None:
        super().__init__(message, code="JOB_TIMEOUT")
        self.job = job


_BY_CODE = {
    "BAD_USER_INPUT": BadInputError,
    "BAD_REQUEST": BadRequestError,
    "NOT_FOUND": NotFoundError,
    "UNAUTHENTICATED": AuthenticationError,
    "FORBIDDEN": ForbiddenError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaTypeError,
    "GRAPHQL_PARSE_FAILED": GraphQLError,
    "GRAPHQL_VALIDATION_FAILED": GraphQLError,
    "INTERNAL_SERVER_ERROR": ServerError,
}


def error_from_body(body: Any, status: Optional[int], fallback: str) -> QdcError:
    """The typed error for a response body ``{"errors": [{message, extensions: {code}}]}``."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        extensions = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
        code = extensions.get("code") if isinstance(extensions.get("code"), str) else None
        message = str(first.get("message") or fallback)
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more error(s); see .errors)"
        cls = _BY_CODE.get(code or "", ServerError if status and status >= 500 else QdcError)
        return cls(message, code=code, status=status, extensions=extensions, errors=errors)
    cls = ServerError if status and status >= 500 else QdcError
    return cls(fallback, status=status)
