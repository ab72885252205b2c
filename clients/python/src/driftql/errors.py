"""Typed errors: one class per error code the server answers with.

The server says what went wrong with a code, in GraphQL as ``errors[0].extensions.code`` and
in its REST answers (export, upload, jobs) as ``{"error": {"code", "message", "problems"?}}``.
Both become the same exception here, so ``except driftql.BadUserInput`` catches a refused
argument whichever endpoint refused it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Type

__all__ = [
    "DriftqlError",
    "BadUserInput",
    "NotFound",
    "Conflict",
    "Unauthenticated",
    "Forbidden",
    "TooManyRequests",
    "QueryTimeout",
    "ServiceUnavailable",
    "PayloadTooLarge",
    "InternalServerError",
    "ConnectionFailed",
    "IngestFailed",
    "error_for",
]


class DriftqlError(Exception):
    """An error answered by a driftql server (or no answer at all, see ConnectionFailed).

    Attributes:
        code: the server's code, e.g. ``"BAD_USER_INPUT"``.
        message: the server's message, which says what to change.
        status: the HTTP status, when there was an answer.
        problems: for bundles, the located problems (``file``, ``line``, ``field``, ``message``).
        argument: the argument at fault, when the server names one (``extensions.argumentName``).
        retry_after: seconds the server asked to wait (``Retry-After``), for 429 answers.
        errors: every GraphQL error of the answer, as sent (the first one made this exception).
    """

    code: str = "ERROR"

    def __init__(
        self,
        code: Optional[str],
        message: str,
        status: Optional[int] = None,
        problems: Optional[List[Dict[str, Any]]] = None,
        *,
        argument: Optional[str] = None,
        retry_after: Optional[float] = None,
        errors: Optional[List[Dict[str, Any]]] = None,
    ) -> None:
        self.code = code or type(self).code
        self.message = message
        self.status = status
        self.problems: List[Dict[str, Any]] = list(problems or [])
        self.argument = argument
        self.retry_after = retry_after
        self.errors: List[Dict[str, Any]] = list(errors or [])
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.code}: {self.message}"
        for p in self.problems[:20]:
            where = ", ".join(
                str(x)
                for x in (
                    p.get("file"),
                    f"line {p['line']}" if p.get("line") is not None else None,
                    f"field {p['field']}" if p.get("field") else None,
                )
                if x
            )
            text += f"\n  - {where + ': ' if where else ''}{p.get('message', '')}"
        return text


class BadUserInput(DriftqlError):
    """An argument out of range or unknown (HTTP 400); the message says what to change."""

    code = "BAD_USER_INPUT"


class NotFound(DriftqlError):
    """An unknown (or invisible) run, dataset or job (HTTP 404)."""

    code = "NOT_FOUND"


class Conflict(DriftqlError):
    """A dataset identity already loaded with other content (HTTP 409)."""

    code = "CONFLICT"


class Unauthenticated(DriftqlError):
    """A malformed, unknown or revoked API key, or none where one is needed (HTTP 401)."""

    code = "UNAUTHENTICATED"


class Forbidden(DriftqlError):
    """The key's role or lab does not allow this (HTTP 403)."""

    code = "FORBIDDEN"


class TooManyRequests(DriftqlError):
    """Over the server's rate limit (HTTP 429); ``retry_after`` says when to try again."""

    code = "TOO_MANY_REQUESTS"


class QueryTimeout(DriftqlError):
    """A statement ran past the server's time limit; narrow the selection."""

    code = "QUERY_TIMEOUT"


class ServiceUnavailable(DriftqlError):
    """The server (or a proxy before it) cannot answer now (HTTP 503)."""

    code = "SERVICE_UNAVAILABLE"


class PayloadTooLarge(DriftqlError):
    """An upload larger than the server takes (HTTP 413)."""

    code = "PAYLOAD_TOO_LARGE"


class InternalServerError(DriftqlError):
    """The server failed; its log has the details (HTTP 500)."""

    code = "INTERNAL_SERVER_ERROR"


class ConnectionFailed(DriftqlError):
    """No answer: the server could not be reached, or the connection broke (after the retries)."""

    code = "CONNECTION_FAILED"


class IngestFailed(DriftqlError):
    """An uploaded bundle's ingest job failed; ``problems`` locates what is wrong, ``job`` is the job."""

    code = "INGEST_FAILED"

    def __init__(self, message: str, problems: Optional[List[Dict[str, Any]]], job: Dict[str, Any]) -> None:
        self.job = job
        super().__init__(None, message, None, problems)


_BY_CODE: Dict[str, Type[DriftqlError]] = {
    cls.code: cls
    for cls in (
        BadUserInput,
        NotFound,
        Conflict,
        Unauthenticated,
        Forbidden,
        TooManyRequests,
        QueryTimeout,
        ServiceUnavailable,
        PayloadTooLarge,
        InternalServerError,
    )
}

_BY_STATUS: Dict[int, Type[DriftqlError]] = {
    400: BadUserInput,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: TooManyRequests,
    500: InternalServerError,
    503: ServiceUnavailable,
}


def error_for(
    code: Optional[str],
    message: str,
    status: Optional[int] = None,
    problems: Optional[List[Dict[str, Any]]] = None,
    **extra: Any,
) -> DriftqlError:
    """The exception for a code (or, without a known code, for the HTTP status)."""
    if code:
        cls = _BY_CODE.get(code, DriftqlError)
    else:
        cls = _BY_STATUS.get(status or 0, DriftqlError)
        code = cls.code if cls is not DriftqlError else f"HTTP_{status}" if status else None
    return cls(code, message, status, problems, **extra)
