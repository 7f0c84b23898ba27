"""Typed dependencies: the service loaded in the lifespan, the settings, the rate limit."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from app.ratelimit import RateLimiter
from app.service import QAService
from app.settings import Settings
from corpus.errors import PolicyQAError


class Unauthorized(PolicyQAError):
    status_code = 401


def get_service(request: Request) -> QAService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def rate_limited(request: Request) -> None:
    limiter: RateLimiter = request.app.state.limiter
    limiter.check(request.client.host if request.client else "unknown")


def require_admin(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    expected = request.app.state.settings.admin_api_key
    if not expected or not secrets.compare_digest((x_api_key or "").encode(), expected.encode()):
        raise Unauthorized("admin endpoints need a valid X-API-Key header")


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RateLimitDep = Depends(rate_limited)
AdminDep = Depends(require_admin)
