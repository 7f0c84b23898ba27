"""Request ids and JSON log lines: every response and every log line of a request carry the same id."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import time
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": round(record.created, 3), "level": record.levelname, "logger": record.name,
                 "request_id": request_id_var.get(), "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_lines: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("policy_qa")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False


class RequestContextMiddleware:
    """Assigns the request id (or keeps a sane one the client sent), echoes it as X-Request-ID,
    rejects bodies over the size limit with 413, and logs one access line per request."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, limited_paths: tuple[str, ...],
                 max_other_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes  # the public JSON API: questions are short
        self.limited_paths = limited_paths
        self.max_other_bytes = max_other_bytes  # admin uploads and the chat UI's own requests
        self.log = logging.getLogger("policy_qa.access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        sent_id = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = sent_id if 0 < len(sent_id) <= 64 and sent_id.replace("-", "").isalnum() else uuid.uuid4().hex
        token = request_id_var.set(rid)
        # Unexpected errors are answered by Starlette's outermost handler, after this middleware has returned:
        # the id travels in the scope so that answer carries it too (app.errors.unexpected).
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500
        declared = headers.get(b"content-length", b"0")
        limit = self.max_body_bytes if scope.get("path", "").startswith(self.limited_paths) else self.max_other_bytes
        try:
            if declared.isdigit() and int(declared) > limit:
                await _reject(send, rid, limit)
                status = 413
                return
            received = 0
            too_large = False

            async def limited_receive() -> Message:
                nonlocal received, too_large
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        too_large = True
                        raise _TooLarge()
                return message

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if too_large:  # a body without a length ran over while read; the app's own error is dropped
                    return
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
                await send(message)

            with contextlib.suppress(_TooLarge):
                await self.app(scope, limited_receive, send_with_id)
            if too_large:
                # FastAPI turns any error while reading the body into "400 error parsing the body"; the client
                # is told the real reason instead.
                await _reject(send, rid, limit)
                status = 413
        finally:
            self.log.info("%s %s %s", scope.get("method"), scope.get("path"), status, extra={"fields": {
                "method": scope.get("method"), "path": scope.get("path"), "status": status,
                "ms": round((time.perf_counter() - started) * 1000, 1)}})
            request_id_var.reset(token)


class _TooLarge(Exception):
    pass


async def _reject(send: Send, rid: str, limit: int) -> None:
    body = json.dumps({"error": "payload_too_large", "message": f"request body over {limit} bytes",
                       "request_id": rid}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"x-request-id", rid.encode())]})
    await send({"type": "http.response.body", "body": body})
