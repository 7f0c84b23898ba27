"""Pages served by the API process: the public widget at /widget, the sign-in page at /login (and the
officials' chat at /)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

WIDGET_DIR = Path(__file__).resolve().parent / "widget"
LOGIN_DIR = Path(__file__).resolve().parent / "login"
# The widget talks only to its own origin and loads nothing from elsewhere: a page that links to it with
# ?api=<another server> cannot make it show someone else's "answers".
WIDGET_CSP = ("default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
              "script-src 'self'; base-uri 'none'; form-action 'none'")


def mount_widget(app: FastAPI) -> None:
    @app.get("/widget", include_in_schema=False)
    def widget_page() -> FileResponse:
        return FileResponse(WIDGET_DIR / "widget.html", headers={"Content-Security-Policy": WIDGET_CSP})

    @app.get("/widget/embed.js", include_in_schema=False)
    def widget_embed() -> FileResponse:
        return FileResponse(WIDGET_DIR / "embed.js", media_type="text/javascript")

    app.mount("/widget/static", StaticFiles(directory=WIDGET_DIR), name="widget-static")


def mount_login(app: FastAPI) -> None:
    @app.get("/login", include_in_schema=False)
    def login_page() -> FileResponse:
        return FileResponse(LOGIN_DIR / "login.html",
                            headers={"Content-Security-Policy": WIDGET_CSP.replace("form-action 'none'",
                                                                                   "form-action 'self'"),
                                     "X-Frame-Options": "DENY"})

    app.mount("/login/static", StaticFiles(directory=LOGIN_DIR), name="login-static")


def mount_ui(app: FastAPI) -> None:
    mount_widget(app)
    mount_login(app)
    try:
        from ui.chat import mount_chat
    except ImportError:  # the officials' chat is optional: the API and widget run without Gradio
        return
    mount_chat(app)
