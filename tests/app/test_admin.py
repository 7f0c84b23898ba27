"""Admin endpoints: key required, uploads confined to the corpus folder, reindex picks changes up."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from fastapi.testclient import TestClient

from app.main import create_api
from app.service import QAService
from app.settings import Settings

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
KEY = {"X-API-Key": "secret-key"}
NEW_DOC = "测试市人民政府关于促进测试产业发展的实施方案\n一、发展目标\n(一)测试产业。到2025年测试产业产值达到88亿元。"


@pytest.fixture
def admin_client(tmp_path, fresh_data_dir, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus" / "documents", corpus)
    settings = Settings(data_dir=fresh_data_dir, corpus_dir=corpus, admin_api_key="secret-key",
                        rate_limit_per_minute=10_000, max_upload_bytes=4096)
    with TestClient(create_api(settings, QAService(settings, embedder))) as client:
        yield client, corpus


def test_admin_calls_without_the_key_change_nothing(admin_client):
    client, corpus = admin_client
    before = sorted(p.name for p in corpus.iterdir())
    assert client.post("/admin/documents", files={"file": ("x.txt", NEW_DOC.encode())}).status_code == 401
    assert client.delete("/admin/documents/000_6dbfd2b412d98389.txt",
                         headers={"X-API-Key": "wrong"}).status_code == 401
    assert client.post("/admin/reindex").status_code == 401
    assert sorted(p.name for p in corpus.iterdir()) == before


@pytest.mark.parametrize("name", ["../evil.txt", "..", "a/b.txt", ".hidden.txt", "run.sh", "x.exe"])
def test_upload_refuses_paths_and_types(admin_client, name):
    client, corpus = admin_client
    r = client.post("/admin/documents", headers=KEY, files={"file": (name, NEW_DOC.encode())})
    assert r.status_code == 400 and r.json()["message"]
    assert not (corpus.parent / "evil.txt").exists() and not (corpus / "run.sh").exists()


def test_upload_limits_size_and_rejects_unreadable_files(admin_client):
    client, corpus = admin_client
    r = client.post("/admin/documents", headers=KEY, files={"file": ("big.txt", "字".encode() * 5000)})
    assert r.status_code == 413
    r = client.post("/admin/documents", headers=KEY, files={"file": ("bin.txt", b"\x00\xff" * 100)})
    assert r.status_code == 400 and "binary" in r.json()["message"]
    assert not (corpus / "big.txt").exists() and not (corpus / "bin.txt").exists()


def test_upload_reindex_answer_then_delete(admin_client):
    client, corpus = admin_client
    r = client.post("/admin/documents", headers=KEY, files={"file": ("test-city.txt", NEW_DOC.encode())})
    assert r.status_code == 201 and (corpus / "test-city.txt").exists()
    health = client.post("/admin/reindex", headers=KEY).json()
    assert health["documents"] == 6
    body = client.post("/api/ask", json={"question": "测试市测试产业产值到2025年要达到多少?"}).json()
    assert "88亿元" in body["answer"] and body["citations"][0]["doc_id"] == "test-city"
    assert client.delete("/admin/documents/test-city.txt", headers=KEY).status_code == 200
    assert client.post("/admin/reindex", headers=KEY).json()["documents"] == 5
    assert client.delete("/admin/documents/test-city.txt", headers=KEY).status_code == 404


def test_reindex_of_an_emptied_corpus_is_409_and_the_old_index_keeps_answering(admin_client):
    client, corpus = admin_client
    for f in corpus.iterdir():
        f.unlink()
    r = client.post("/admin/reindex", headers=KEY)
    assert r.status_code == 409 and "no readable documents" in r.json()["message"]
    assert client.get("/healthz").json()["documents"] == 5
    body = client.post("/api/ask", json={"question": "稀土新材料产值目标?"}).json()
    assert "200亿元" in body["answer"]
    assert client.post("/admin/reindex?force=true", headers=KEY).json()["documents"] == 0


def _docx(expanding_to_mb: int = 0) -> bytes:
    """A real .docx; with `expanding_to_mb`, plus a part of zeros that expands that far (a zip bomb)."""
    document = docx.Document()
    document.add_paragraph(NEW_DOC)
    out = io.BytesIO()
    document.save(out)
    if expanding_to_mb:
        package = zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED)
        with package, package.open("word/media/pad.bin", "w") as part:
            for _ in range(expanding_to_mb):
                part.write(bytes(1_000_000))
    return out.getvalue()


def test_a_docx_bomb_is_refused_with_413_and_no_server_path_shows(tmp_path, settings, embedder):
    corpus = tmp_path / "corpus"
    s = settings.model_copy(update={"corpus_dir": corpus, "admin_api_key": "secret-key"})
    with TestClient(create_api(s, QAService(s, embedder))) as client:
        bomb = _docx(expanding_to_mb=120)
        assert len(bomb) < 200_000  # small on the wire, so only its expanded size can refuse it
        r = client.post("/admin/documents", headers=KEY, files={"file": ("bomb.docx", bomb)})
        assert r.status_code == 413 and r.json()["error"] == "document_too_large", r.text
        assert r.json()["message"].startswith("bomb.docx: the .docx expands to 12")
        r = client.post("/admin/documents", headers=KEY, files={"file": ("broken.docx", b"PK\x03\x04 not a zip")})
        assert r.status_code == 400 and r.json()["message"].startswith("broken.docx: cannot read .docx")
        assert "/tmp" not in r.text and str(tmp_path) not in r.text
        assert not corpus.exists()  # nothing refused was stored
        r = client.post("/admin/documents", headers=KEY, files={"file": ("city.docx", _docx())})
        assert r.status_code == 201 and (corpus / "city.docx").is_file()
