"""The FastAPI application: built by create_api(), the index loaded once in the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app import errors
from app.accounts import Accounts
from app.gate import Budget, Gate
from app.observability import RequestContextMiddleware, configure_logging
from app.proxies import ForwardedHeaderMiddleware
from app.routes import admin, auth, documents, qa, tables
from app.service import QAService
from app.settings import Settings
from corpus.errors import PolicyQAError

log = logging.getLogger("policy_qa.app")


async def follow_reloads(service: QAService, interval_s: float) -> None:
    """With several workers, /admin/reload reaches one of them; the others pick the new index up here."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_in_threadpool(service.follow_reload)
        except PolicyQAError as exc:  # the old index keeps serving
            log.error("could not follow another worker's reload: %s", exc.message)


def create_api(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """The HTTP API (the UIs are mounted on it by policy_qa.server). Pass `service` to share an already
    loaded index (tests, the eval)."""
    settings = settings or Settings()
    configure_logging(settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = service or await run_in_threadpool(QAService, settings)
        # One line per worker: an operator (and the two-worker test) sees each one come up and what it serves.
        log.info("worker ready, serving build %s", app.state.service.store.path.name)
        follower = (asyncio.create_task(follow_reloads(app.state.service, settings.reload_poll_s))
                    if settings.reload_poll_s else None)
        yield
        if follower:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower

    app = FastAPI(title="policy-qa", version="0.1.0", lifespan=lifespan,
                  description="Grounded answers with citations over Chinese government policy documents.")
    app.state.settings = settings
    app.state.gate = Gate(settings.rate_limit_per_minute, settings.rate_limit_chars_per_unit, settings.max_running,
                          settings.max_waiting)
    app.state.signin_budget = Budget(settings.signin_attempts_per_minute, "sign-in attempts")
    app.state.accounts = Accounts(settings.accounts_path, settings.session_ttl_s)
    errors.install(app)
    app.include_router(documents.router)
    app.include_router(tables.router)
    app.include_router(qa.router)
    app.include_router(admin.router)
    app.include_router(auth.router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Accept", "X-Request-ID"], expose_headers=["X-Request-ID"])
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_request_bytes,
                       limited_paths=("/api/",), max_other_bytes=settings.max_upload_bytes)
    # Outermost, so the request id, the limits and the chat all see the client a trusted proxy names. uvicorn's
    # own proxy handling (which trusts 127.0.0.1 by default) is off in `policy-qa serve`.
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
        if settings.proxy_header == "forwarded":
            app.add_middleware(ForwardedHeaderMiddleware)
    return app
