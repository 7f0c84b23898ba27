"""Typed dependencies: the service loaded in the lifespan, the settings, the gate, the client's address."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Header, Request

from app.accounts import Account, Accounts
from app.gate import Gate
from app.service import QAService
from app.settings import Settings
from corpus.errors import PolicyQAError

SESSION_COOKIE = "pq_session"


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


def get_accounts(request: Request) -> Accounts:
    return request.app.state.accounts


def current_account(request: Request) -> Account | None:
    """The signed-in account of the request's session cookie, if it is live."""
    return request.app.state.accounts.session(request.cookies.get(SESSION_COOKIE))


def require_admin(request: Request, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """Scripts send the X-API-Key; people sign in as an admin. Checked before any body is read."""
    expected = request.app.state.settings.admin_api_key
    if x_api_key is not None:
        if expected and secrets.compare_digest(x_api_key.encode(), expected.encode()):
            return
    else:
        account = current_account(request)
        if account is not None and account.is_admin:
            return
    raise Unauthorized("admin endpoints need a valid X-API-Key header or an admin's sign-in")


AccountsDep = Annotated[Accounts, Depends(get_accounts)]
CurrentAccountDep = Annotated[Account | None, Depends(current_account)]
ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
GateDep = Annotated[Gate, Depends(get_gate)]
ClientDep = Annotated[str, Depends(client_address)]
ChargedDep = Depends(charged)
AdminDep = Depends(require_admin)
