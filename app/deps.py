"""Typed dependencies: the service loaded in the lifespan, the settings, the gate, the client's address."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from app.gate import Gate
from app.service import QAService
from app.settings import Settings
from corpus.errors import PolicyQAError


class Unauthorized(PolicyQAError):
    status_code = 401


def get_service(request: Request) -> QAService:
    return request.app.state.service


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_gate(request: Request) -> Gate:
    return request.app.state.gate


def client_address(request: Request) -> str:
    """The peer's address, or the client a trusted proxy names (rewritten by the proxy-headers middleware)."""
    return request.client.host if request.client else "unknown"


def charged(request: Request) -> None:
    """Cheap reads count one unit against the client's budget, and need no slot."""
    request.app.state.gate.charge(client_address(request))


def require_admin(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    expected = request.app.state.settings.admin_api_key
    if not expected or not secrets.compare_digest((x_api_key or "").encode(), expected.encode()):
        raise Unauthorized("admin endpoints need a valid X-API-Key header")


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GateDep = Annotated[Gate, Depends(get_gate)]
ClientDep = Annotated[str, Depends(client_address)]
ChargedDep = Depends(charged)
AdminDep = Depends(require_admin)
