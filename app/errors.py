"""Domain errors → HTTP, in one place. Clients always get JSON {error, message, request_id}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.observability import request_id_var
from corpus.errors import PolicyQAError

log = logging.getLogger("policy_qa.errors")


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None,
                   request_id: str | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, "request_id": request_id or request_id_var.get()},
                        status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(PolicyQAError)
    async def domain_error(_: Request, exc: PolicyQAError) -> JSONResponse:
        if exc.status_code >= 500:
            log.error("%s: %s", type(exc).__name__, exc.message)
        retry_after = getattr(exc, "retry_after", None)  # rate limit and overload: when to come back
        return error_response(exc.status_code, _snake(type(exc).__name__), exc.message,
                              {"Retry-After": str(retry_after)} if retry_after else None)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI's "error parsing the body": bytes that are not UTF-8 JSON
            return error_response(422, "validation_error", "body: not valid UTF-8 JSON")
        return error_response(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Runs outside the request-id middleware (Starlette's outermost layer), so the id comes from the scope.
        rid = getattr(request.state, "request_id", None) or request_id_var.get()
        log.exception("unhandled error", extra={"fields": {"request_id": rid}})
        return error_response(500, "internal_error", "the service failed to answer; quote the request id",
                              {"X-Request-ID": rid}, rid)
