"""Operator endpoints, behind the admin API key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from app.deps import AdminDep, ServiceDep
from app.schemas import ErrorOut, HealthOut

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[AdminDep],
                   responses={401: {"model": ErrorOut}, 503: {"model": ErrorOut}})


@router.post("/reload", response_model=HealthOut)
async def reload(service: ServiceDep) -> HealthOut:
    """Serve the index that `policy-qa index` last built. If it is damaged, the old one keeps serving."""
    store = await run_in_threadpool(service.reload)
    return HealthOut(status="ok", documents=len(store.documents), chunks=len(store.chunks),
                     embedder=store.manifest.embedder, index_built_at=store.manifest.built_at)
