"""Chunk vectors in Milvus: one collection per build, written once by `policy-qa index` and never
changed, so the build-then-swap of CURRENT works as with FAISS files and every reader sees one build."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pymilvus import DataType, MilvusClient, MilvusException

from index.errors import IndexCorrupt, VectorStoreUnavailable
from index.vectors.base import StoredVectors, VectorIndex, VectorStoreConfig, ivf_nlist

INSERT_BATCH = 2_000
MAX_TOP_K = 16_384  # Milvus refuses a larger limit; filtered searches that ask for every chunk get this many
READY_WITHIN_S = 600.0  # indexing a large build takes minutes; a stuck server must not hang the build


def _client(config: VectorStoreConfig) -> MilvusClient:
    if not config.milvus_uri:
        raise VectorStoreUnavailable("the Milvus backend needs POLICY_QA_MILVUS_URI (e.g. http://milvus:19530)")
    try:
        return MilvusClient(uri=config.milvus_uri, token=config.milvus_token, timeout=config.timeout_s)
    except MilvusException as exc:
        raise VectorStoreUnavailable(f"cannot reach Milvus at {config.milvus_uri}: {exc.message}") from exc


def collection_name(build_id: str, config: VectorStoreConfig) -> str:
    return f"{config.milvus_prefix}_{build_id}"


def _count(client: MilvusClient, name: str) -> int:
    rows = client.query(name, output_fields=["count(*)"], consistency_level="Bounded")
    return int(rows[0]["count(*)"])


def _wait_until(done: Callable[[], bool], failure: str) -> None:
    deadline = time.monotonic() + READY_WITHIN_S
    while not done():
        if time.monotonic() > deadline:
            raise VectorStoreUnavailable(f"{failure} within {READY_WITHIN_S:.0f} s")
        time.sleep(0.5)


def write_collection(vectors: np.ndarray, build_id: str, config: VectorStoreConfig) -> StoredVectors:
    client = _client(config)
    name = collection_name(build_id, config)
    kind = "IVF_FLAT" if len(vectors) >= config.ann_threshold else "FLAT"  # as FAISS: evals/bench/ann.py
    try:
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("pos", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=vectors.shape[1])
        index = client.prepare_index_params()
        index.add_index("vector", index_type=kind, metric_type="IP",
                        params={"nlist": ivf_nlist(len(vectors))} if kind == "IVF_FLAT" else {})
        client.create_collection(name, schema=schema, index_params=index, consistency_level="Bounded")
        for start in range(0, len(vectors), INSERT_BATCH):
            batch = vectors[start:start + INSERT_BATCH]
            client.insert(name, [{"pos": start + i, "vector": v.tolist()} for i, v in enumerate(batch)])
        client.flush(name)
        # Until its index is built, Milvus searches a segment through an interim index (recall@10 0.3 where
        # the HNSW gives 0.78, evals/bench/milvus_scale.py): wait for the index, then reload the collection
        # so the query nodes serve it.
        _wait_until(lambda: int(client.describe_index(name, "vector").get("indexed_rows", 0)) >= len(vectors),
                    f"Milvus did not index all {len(vectors)} vectors of {name}")
        client.release_collection(name)
        client.load_collection(name)
        # Readers search at bounded staleness (no wait per query); the build is not done until a
        # bounded read sees every row, so a server reloading right after it never serves a partial set.
        _wait_until(lambda: _count(client, name) == len(vectors),
                    f"Milvus collection {name} did not show all {len(vectors)} vectors")
    except MilvusException as exc:
        raise VectorStoreUnavailable(f"Milvus at {config.milvus_uri} refused the build: {exc.message}") from exc
    return StoredVectors("milvus", kind, name)


class MilvusStore:
    def __init__(self, config: VectorStoreConfig) -> None:
        self.config = config

    def build(self, vectors: np.ndarray, build_dir: Path, build_id: str) -> StoredVectors:
        return write_collection(vectors, build_id, self.config)

    def open(self, stored: StoredVectors, build_dir: Path) -> VectorIndex:
        return MilvusVectors.open(stored, self.config)

    def drop(self, keep_build_ids: set[str]) -> None:
        drop_collections(keep_build_ids, self.config)


class MilvusVectors:
    def __init__(self, client: MilvusClient, name: str, ntotal: int, dim: int, kind: str,
                 config: VectorStoreConfig) -> None:
        self.client, self.name, self._ntotal, self._dim, self.kind = client, name, ntotal, dim, kind
        self.config = config

    @classmethod
    def open(cls, stored: StoredVectors, config: VectorStoreConfig) -> MilvusVectors:
        client = _client(config)
        name = stored.location
        try:
            if not client.has_collection(name):
                raise IndexCorrupt(f"the build's vector collection '{name}' is not in Milvus at {config.milvus_uri}; "
                                   "rebuild with `policy-qa index`")
            client.load_collection(name)  # no-op when loaded; needed after Milvus restarts
            fields = client.describe_collection(name)["fields"]
            dim = next(int(f["params"]["dim"]) for f in fields if f["name"] == "vector")
            return cls(client, name, _count(client, name), dim, stored.kind, config)
        except MilvusException as exc:
            raise VectorStoreUnavailable(f"cannot open collection '{name}' in Milvus at {config.milvus_uri}: "
                                         f"{exc.message}") from exc

    @property
    def ntotal(self) -> int:
        return self._ntotal

    @property
    def dim(self) -> int:
        return self._dim

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self._ntotal if allowed is None else len(allowed), MAX_TOP_K)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # HNSW: collections built before IVF became the approximate index
        params = {"metric_type": "IP", "params": {"IVF_FLAT": {"nprobe": self.config.ivf_nprobe},
                                                  "HNSW": {"ef": max(96, k)}}.get(self.kind, {})}
        try:
            # A filter is an expression Milvus evaluates in the search, so `limit` counts allowed rows only.
            expression = "" if allowed is None else f"pos in {allowed.astype(np.int64).tolist()}"
            hits = self.client.search(self.name, data=[query.astype(np.float32).tolist()], limit=k,
                                      filter=expression, anns_field="vector", search_params=params,
                                      timeout=self.config.timeout_s)[0]
        except MilvusException as exc:
            raise VectorStoreUnavailable(f"Milvus at {self.config.milvus_uri} failed a search: {exc.message}") from exc
        return (np.array([h["id"] for h in hits], dtype=np.int64),
                np.array([h["distance"] for h in hits], dtype=np.float32))


def drop_collections(keep_build_ids: set[str], config: VectorStoreConfig) -> None:
    """Drop this deployment's collections whose build is gone (pruned, or killed before it was swapped in)."""
    client = _client(config)
    prefix = f"{config.milvus_prefix}_"
    keep = {collection_name(b, config) for b in keep_build_ids}
    try:
        for name in client.list_collections():
            if name.startswith(prefix) and name not in keep:
                client.drop_collection(name)
    except MilvusException as exc:
        raise VectorStoreUnavailable(f"Milvus at {config.milvus_uri} refused to drop old collections: "
                                     f"{exc.message}") from exc
