"""One outbound call to a WhatsApp provider, with its outcome mapped to what the outbox should do.

- The request never left (connection refused, connect timeout, no pooled connection) or the provider said
  "not now" (429, 5xx): :class:`TransientSendError` — the outbox retries with backoff.
- The provider refused the message (any other 4xx): :class:`PermanentSendError` — never retried.
- The request was sent but no answer came back (read timeout, connection dropped mid-response):
  :class:`UnknownOutcome` — the provider may have accepted it, so it is parked as UNKNOWN, never blindly
  resent (a patient would get the message twice).
"""

from __future__ import annotations

import httpx

from clinicops.messaging.providers import PermanentSendError, TransientSendError, UnknownOutcome

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout, httpx.WriteError,
             httpx.UnsupportedProtocol)
_MAYBE_SENT = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


async def post_json(url: str, *, body: dict, headers: dict[str, str], timeout_s: float,
                    provider: str) -> dict:
    """POST ``body`` and return the JSON answer of a 2xx, or raise one of the three send errors."""
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout_s)) as client:
            response = await client.post(url, json=body, headers=headers)
    except _NOT_SENT as exc:
        raise TransientSendError(f"{provider}: not sent ({type(exc).__name__})") from exc
    except _MAYBE_SENT as exc:
        raise UnknownOutcome(f"{provider}: no answer after sending ({type(exc).__name__})") from exc
    except httpx.TimeoutException as exc:
        raise UnknownOutcome(f"{provider}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientSendError(f"{provider}: transport error ({type(exc).__name__})") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientSendError(f"{provider}: HTTP {status} {_snippet(response)}")
    if status >= 400:
        raise PermanentSendError(f"{provider}: HTTP {status} {_snippet(response)}")
    try:
        data = response.json()
    except ValueError:
        data = {}
    return data if isinstance(data, dict) else {}


def _snippet(response: httpx.Response) -> str:
    # The provider's own error text helps whoever reads the outbox row; it never echoes our credentials.
    return response.text[:300]
