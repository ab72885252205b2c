"""HTTP with retries, and the server's error answers turned into typed exceptions.

Retried, with exponential backoff and jitter, at most ``max_retries`` times:

- HTTP 429 (waiting what ``Retry-After`` says) and HTTP 503 (except ``QUERY_TIMEOUT``, which
  would only time out again: the server asks for a narrower selection);
- connection failures, for requests that may be repeated. A request that must not run twice
  (a bundle upload, a GraphQL mutation) is repeated only when it cannot have been sent: the
  connection was refused, or the server answered 429/503, which it does before reading a body.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import httpx

from .errors import ConnectionFailed, DriftqlError, error_for

#: Failures after which nothing of the request reached the server.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: Failures worth repeating an idempotent request for (not read timeouts: the work would be redone).
TRANSIENT = NOT_SENT + (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


def retry_after_seconds(value: Optional[str]) -> Optional[float]:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def graphql_error(
    errors: List[Dict[str, Any]], status: Optional[int], retry_after: Optional[float] = None
) -> DriftqlError:
    """The exception for a GraphQL ``errors`` list (its first error decides the class)."""
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    ext = first.get("extensions") or {}
    return error_for(
        ext.get("code"),
        str(first.get("message") or "the server answered with an error"),
        status,
        ext.get("problems"),
        argument=ext.get("argumentName"),
        retry_after=retry_after,
        errors=errors,
    )


def error_from_response(response: httpx.Response) -> DriftqlError:
    """The exception for an error answer: REST ``{"error": ...}``, GraphQL ``{"errors": [...]}`` or neither."""
    status = response.status_code
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            return error_for(
                err.get("code"),
                str(err.get("message") or f"HTTP {status}"),
                status,
                err.get("problems"),
                retry_after=retry_after,
            )
        if isinstance(body.get("errors"), list) and body["errors"]:
            return graphql_error(body["errors"], status, retry_after)
    text = response.text.strip()[:300] or response.reason_phrase
    return error_for(None, f"HTTP {status} from {response.request.url}: {text}", status, retry_after=retry_after)


class Transport:
    """An httpx client with the retry policy above. ``sleep`` is replaceable for tests."""

    def __init__(
        self,
        url: str,
        token: Optional[str],
        *,
        timeout: Optional[float],
        max_retries: int,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.url = url
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.sleep = sleep
        self.headers = {"User-Agent": "driftql-python/0.1"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout
        self.http = httpx.Client(base_url=url, headers=self.headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``: Retry-After, else capped exponential, with jitter."""
        if retry_after is not None:
            return retry_after + random.uniform(0, self.backoff)
        return random.uniform(0.5, 1.0) * min(self.max_backoff, self.backoff * 2.0**attempt)

    def _retryable(self, response: httpx.Response) -> Tuple[bool, Optional[float]]:
        """Whether an answer is worth retrying, and the server's Retry-After."""
        if response.status_code not in (429, 503):
            return False, None
        response.read()
        error = error_from_response(response)
        return error.code != "QUERY_TIMEOUT", error.retry_after

    @contextlib.contextmanager
    def send(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        body: Optional[Callable[[], Any]] = None,
        headers: Optional[Dict[str, str]] = None,
        idempotent: bool = True,
        stream: bool = False,
        client: Optional[httpx.Client] = None,
    ) -> Iterator[httpx.Response]:
        """Sends a request with retries and yields the final answer (error answers included).

        ``body`` makes a fresh request body for each attempt. With ``stream``, the answer's body
        is not read yet. The answer is closed on leaving the block.
        """
        http = client or self.http
        attempt = 0
        while True:
            request = http.build_request(
                method, path, params=params, json=json, content=body() if body else None, headers=headers
            )
            try:
                response = http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                again = isinstance(exc, NOT_SENT) or (idempotent and isinstance(exc, TRANSIENT))
                if not again or attempt >= self.max_retries:
                    raise ConnectionFailed(None, f"{method} {request.url}: {type(exc).__name__}: {exc}") from exc
                self.sleep(self.delay(attempt))
                attempt += 1
                continue
            retry, retry_after = self._retryable(response)
            if retry and attempt < self.max_retries:
                response.close()
                self.sleep(self.delay(attempt, retry_after))
                attempt += 1
                continue
            try:
                yield response
            finally:
                response.close()
            return

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Sends a request and returns its JSON body; an error status raises its typed error."""
        with self.send(method, path, **kwargs) as response:
            if response.is_error:
                raise error_from_response(response)
            return response.json()
