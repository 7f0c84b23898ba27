"""Sign-in required for everything an ASGI app serves (the officials' chat): pages redirect to /login,
everything else (the chat's own API, queue and assets) gets 401. Routes the app serves but no feature uses
(file uploads and downloads) are refused for everyone."""

from __future__ import annotations

import json
from urllib.parse import quote

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from app.accounts import Accounts
from app.deps import SESSION_COOKIE
from app.observability import request_id_var


class SignInRequired:
    def __init__(self, app: ASGIApp, accounts: Accounts, closed_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.accounts = accounts
        self.closed_prefixes = closed_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        closed = path.startswith(self.closed_prefixes)
        account = None if closed else self.accounts.session(_cookie(scope, SESSION_COOKIE))
        if account is None and scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation: refused before accepting
            return
        if closed:
            await _error(send, 404, "not_found", "not available")
            return
        if account is None:
            if scope["type"] == "http" and scope.get("method") == "GET" and _wants_html(scope):
                target = path + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", f"/login?next={quote(target, safe='')}".encode())]})
                await send({"type": "http.response.body", "body": b""})
            else:
                await _error(send, 401, "sign_in_required", "sign in at /login first")
            return
        scope.setdefault("state", {})["account"] = account
        await self.app(scope, receive, send)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return dict(scope.get("headers") or [])


def _cookie(scope: Scope, name: str) -> str | None:
    return cookie_parser(_headers(scope).get(b"cookie", b"").decode("latin-1")).get(name)


def _wants_html(scope: Scope) -> bool:
    return b"text/html" in _headers(scope).get(b"accept", b"")


async def _error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": code, "message": message, "request_id": request_id_var.get()}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})
