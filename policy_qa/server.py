"""The application `policy-qa serve` runs: the API (app/) with the officials' chat and the widget (ui/)."""

from __future__ import annotations

from fastapi import FastAPI

from app.main import create_api
from app.service import QAService
from app.settings import Settings
from ui.mount import mount_ui


def create_app(settings: Settings | None = None, service: QAService | None = None) -> FastAPI:
    """The API with both UIs. Pass `service` to share an already loaded index (tests)."""
    app = create_api(settings, service)
    mount_ui(app)
    return app
