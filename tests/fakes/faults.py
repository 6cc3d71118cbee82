"""Scripted misbehaviours of the fake venues: the fault kinds and ``Fault`` (``FakeVenue.set_fault``)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Fault kinds. REST kinds also apply to the websocket handshake (endpoint "ws").
TIMEOUT = "timeout"  # never answer (until the fault is cleared or the venue stops)
SLOW = "slow"  # answer normally after delay_s
HTTP = "http"  # answer with `status`, `body`, `headers` (429 + Retry-After, 5xx, 451, ...)
HTML = "html"  # an HTML page with status 200
MALFORMED_JSON = "malformed_json"  # status 200, application/json, a body cut in the middle
# Websocket delivery kinds: applied when messages for an endpoint are delivered.
WS_CLOSE = "ws_close"  # close the connection (code 1011) instead of delivering; resubscribers get the batch
WS_TRUNCATED_FRAME = "ws_truncated_frame"  # write half a frame on the wire, then drop the TCP connection
WS_TRUNCATED_JSON = "ws_truncated_json"  # a complete text frame holding half of the JSON message
WS_RAW_TEXT = "ws_raw_text"  # `frames` (not JSON: garbage, a proxy's error page) sent as text frames first
DUPLICATE = "duplicate"  # every message is sent twice
OUT_OF_ORDER = "out_of_order"  # a batch is sent in reverse order
# Websocket keepalive kind (endpoint "ws"): pings are recorded but never answered.
NO_PONG = "no_pong"

REST_KINDS = frozenset({TIMEOUT, SLOW, HTTP, HTML, MALFORMED_JSON})
DELIVERY_KINDS = frozenset(
    {WS_CLOSE, WS_TRUNCATED_FRAME, WS_TRUNCATED_JSON, WS_RAW_TEXT, DUPLICATE, OUT_OF_ORDER}
)

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    "<body><h1>Checking your browser</h1><p>Please wait.</p></body></html>"
)
# What nginx in front of a venue sends when the venue behind it is down, and plain garbage: text frames
# that are not JSON (ccxt 4.5.90 hands them to the venue's message handler as strings).
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
GARBAGE_FRAMES = ("}{garbage", BAD_GATEWAY_PAGE)


@dataclass
class Fault:
    """A scripted misbehaviour; `times` = how many hits before it clears itself (None: until cleared)."""

    kind: str
    delay_s: float = 0.0
    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    times: int | None = None
    frames: tuple[str, ...] = ()  # ws_raw_text: the text frames sent before the batch

    @classmethod
    def timeout(cls, times: int | None = None) -> Fault:
        return cls(TIMEOUT, times=times)

    @classmethod
    def slow(cls, delay_s: float, times: int | None = None) -> Fault:
        return cls(SLOW, delay_s=delay_s, times=times)

    @classmethod
    def http(
        cls,
        status: int,
        body: str | None = None,
        *,
        retry_after: float | None = None,
        content_type: str = "application/json",
        times: int | None = None,
    ) -> Fault:
        """Status `status`; `body` None means the venue's own error body for that status."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        return cls(HTTP, status=status, body=body, headers=headers, content_type=content_type, times=times)

    @classmethod
    def rate_limited(cls, retry_after: float = 2, times: int | None = None) -> Fault:
        return cls.http(429, retry_after=retry_after, times=times)

    @classmethod
    def html(cls, times: int | None = None) -> Fault:
        return cls(HTML, times=times)

    @classmethod
    def malformed_json(cls, times: int | None = None) -> Fault:
        return cls(MALFORMED_JSON, times=times)

    @classmethod
    def ws_close(cls, times: int | None = 1) -> Fault:
        return cls(WS_CLOSE, times=times)

    @classmethod
    def ws_truncated_frame(cls, times: int | None = 1) -> Fault:
        return cls(WS_TRUNCATED_FRAME, times=times)

    @classmethod
    def ws_truncated_json(cls, times: int | None = 1) -> Fault:
        return cls(WS_TRUNCATED_JSON, times=times)

    @classmethod
    def ws_raw_text(cls, frames: tuple[str, ...] = GARBAGE_FRAMES, times: int | None = 1) -> Fault:
        """Before the next batch, each of `frames` goes out as one text frame (then the batch, whole)."""
        return cls(WS_RAW_TEXT, frames=frames, times=times)

    @classmethod
    def duplicate(cls, times: int | None = None) -> Fault:
        return cls(DUPLICATE, times=times)

    @classmethod
    def out_of_order(cls, times: int | None = None) -> Fault:
        return cls(OUT_OF_ORDER, times=times)

    @classmethod
    def no_pong(cls) -> Fault:
        return cls(NO_PONG)
