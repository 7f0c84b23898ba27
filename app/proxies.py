"""RFC 7239 `Forwarded` from a proxy that writes it instead of X-Forwarded-For: its `for=` and `proto=` are
handed to uvicorn's proxy-headers middleware as X-Forwarded-For/-Proto, so one piece of code decides whom to
trust (POLICY_QA_TRUSTED_PROXIES) and which hop names the client."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


def forwarded_for(value: str) -> tuple[list[str], str | None]:
    """The `for=` nodes, first hop first, and the last `proto=` of a Forwarded header value:
    `for=192.0.2.43, for="[2001:db8::17]:4711";proto=https` → (["192.0.2.43", "2001:db8::17"], "https")."""
    nodes: list[str] = []
    proto = None
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, token = pair.strip().partition("=")
            token = token.strip().strip('"')
            if name.lower() == "proto" and token:
                proto = token.lower()
            elif name.lower() == "for" and token:
                if token.startswith("["):  # IPv6, maybe with a port after the bracket
                    token = token[1:].partition("]")[0]
                elif token.count(":") == 1:  # IPv4 with a port
                    token = token.partition(":")[0]
                nodes.append(token)  # "unknown" and obfuscated "_names" too: never a trusted hop
    return nodes, proto


class ForwardedHeaderMiddleware:
    """Rewrites a request's Forwarded header into X-Forwarded-For/-Proto, dropping any X-Forwarded-* the client
    sent: with `POLICY_QA_PROXY_HEADER=forwarded` only the header the proxy writes is believed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = [(k, v) for k, v in scope["headers"] if k not in (b"x-forwarded-for", b"x-forwarded-proto")]
            value = b", ".join(v for k, v in headers if k == b"forwarded").decode("latin-1")
            nodes, proto = forwarded_for(value)
            if nodes:
                headers.append((b"x-forwarded-for", ", ".join(nodes).encode("latin-1")))
            if proto:
                headers.append((b"x-forwarded-proto", proto.encode("latin-1")))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)
