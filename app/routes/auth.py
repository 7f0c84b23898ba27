"""Sign-in for the officials' chat: a session cookie for the right user name and password, attempts limited
per client address and per user name."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, StringConstraints

from app.accounts import SignInFailed
from app.deps import SESSION_COOKIE, AccountsDep, ClientDep, CurrentAccountDep
from app.schemas import ErrorOut

router = APIRouter(prefix="/auth", tags=["sign-in"],
                   responses={401: {"model": ErrorOut}, 422: {"model": ErrorOut}, 429: {"model": ErrorOut}})


class SignInIn(BaseModel):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class AccountOut(BaseModel):
    username: str
    role: str


@router.post("/login", response_model=AccountOut)
def login(body: SignInIn, request: Request, response: Response, accounts: AccountsDep,
          client: ClientDep) -> AccountOut:
    """Sign in; sets an HttpOnly, SameSite=Strict session cookie that expires after POLICY_QA_SESSION_TTL_S."""
    budget = request.app.state.signin_budget
    budget.charge(f"client:{client}")
    budget.charge(f"user:{body.username.lower()}")  # guessing one account from many addresses is slowed too
    account, token = accounts.sign_in(body.username, body.password)
    response.set_cookie(SESSION_COOKIE, token, max_age=accounts.session_ttl_s, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return AccountOut(username=account.username, role=account.role)


@router.api_route("/logout", methods=["GET", "POST"], include_in_schema=False)
def logout(request: Request, accounts: AccountsDep) -> RedirectResponse:
    """End the session and go to the sign-in page. GET is safe to offer as a link: the Strict cookie is
    never sent from another site."""
    accounts.sign_out(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=AccountOut)
def me(account: CurrentAccountDep) -> AccountOut:
    if account is None:
        raise SignInFailed("not signed in")
    return AccountOut(username=account.username, role=account.role)
