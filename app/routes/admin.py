"""Operator endpoints, behind the admin API key: reload, reindex, and managing the corpus files."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from app.deps import AdminDep, ServiceDep
from app.schemas import ErrorOut, HealthOut
from app.service import QAService, build_from_corpus
from corpus.errors import BadDocument, DocumentNotFound
from corpus.loaders import SUPPORTED_SUFFIXES, load_text
from index.store import IndexStore

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[AdminDep],
                   responses={400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 409: {"model": ErrorOut},
                              503: {"model": ErrorOut}})
_SAFE_NAME = re.compile(r"^[\w\u4e00-\u9fff][\w\u4e00-\u9fff .()（）-]{0,150}$")


def corpus_path(service: QAService, filename: str) -> Path:
    """The file's path inside the corpus folder; anything that could leave the folder is refused."""
    name = Path(filename).name
    if name != filename or not _SAFE_NAME.match(name) or ".." in name:
        raise BadDocument(filename, "file name must be a plain name (letters, digits, . _ - space), no folders")
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise BadDocument(name, f"unsupported file type; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}")
    root = service.settings.corpus_dir.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise BadDocument(filename, "file name must stay inside the corpus folder")
    return path


@router.post("/reload", response_model=HealthOut)
async def reload(service: ServiceDep) -> HealthOut:
    """Serve the index that `policy-qa index` last built. If it is damaged, the old one keeps serving."""
    return HealthOut.of(await run_in_threadpool(service.reload))


@router.post("/reindex", response_model=HealthOut)
async def reindex(service: ServiceDep, force: bool = False) -> HealthOut:
    """Rebuild the index from the corpus folder (cached embeddings reused) and serve it. A corpus with no
    documents, or one that lost more than POLICY_QA_MAX_DOCUMENT_LOSS of them, is refused with 409 unless
    `force=true`; the old index keeps serving."""
    def rebuild() -> IndexStore:
        build_from_corpus(service.settings, service.embedder, show_progress=False, force=force)
        return service.reload()

    return HealthOut.of(await run_in_threadpool(rebuild))


# The form is read in the handler, not declared as a File parameter: FastAPI reads declared bodies before it runs
# any dependency, so a caller without the key could make the server take in 20 MB before being refused.
_UPLOAD_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}}


@router.post("/documents", status_code=201, openapi_extra=_UPLOAD_FORM)
async def upload(request: Request, service: ServiceDep) -> dict[str, str]:
    """Add a document (multipart field `file`) to the corpus folder, checked readable first; call
    /admin/reindex to index it."""
    form = await request.form(max_files=1, max_fields=1)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise RequestValidationError([{"loc": ("body", "file"), "msg": "Field required", "type": "missing"}])
    target = corpus_path(service, file.filename or "")
    data = await file.read()
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / target.name
        probe.write_bytes(data)
        try:
            await run_in_threadpool(load_text, probe)
        except BadDocument as exc:  # the reason, under the name the client sent, not the server's temp path
            raise type(exc)(target.name, exc.reason) from None
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    partial.write_bytes(data)
    partial.replace(target)
    return {"stored": target.name, "next": "POST /admin/reindex"}


@router.delete("/documents/{filename}")
async def delete(filename: str, service: ServiceDep) -> dict[str, str]:
    """Remove a document file from the corpus folder; call /admin/reindex to drop it from the index."""
    target = corpus_path(service, filename)
    if not target.is_file():
        raise DocumentNotFound(f"no file '{target.name}' in the corpus folder")
    target.unlink()
    return {"deleted": target.name, "next": "POST /admin/reindex"}
