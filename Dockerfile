# policy-qa: the API, widget and chat on port 8000, with the index of the bundled corpus built into the image.
#
#   docker build -t policy-qa .
#   docker run -p 8000:8000 policy-qa
#
# Same steps as README.md's install line: the pinned torch first, then the project (non-editable here).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# CPU wheel from PyTorch's own index, installed before the project: a plain PyPI torch pulls a multi-GB CUDA
# build. pyproject.toml's torch range (>=2.13,<2.14) accepts 2.13.0+cpu, so the next step keeps it.
RUN pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /app
COPY pyproject.toml README.md ./
COPY corpus ./corpus
COPY index ./index
COPY retriever ./retriever
COPY app ./app
COPY ui ./ui
COPY evals ./evals
COPY policy_qa ./policy_qa
# The milvus extra lets replicas keep their vectors in a Milvus server (POLICY_QA_VECTOR_BACKEND=milvus).
RUN pip install --no-cache-dir ".[milvus]" && rm -rf build ./*.egg-info

# Non-root runtime user (numeric, so Kubernetes' runAsNonRoot can verify it); a home for library caches.
RUN groupadd --gid 10001 app \
    && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data /corpus \
    && chown app:app /data /corpus
USER 10001:10001

ENV POLICY_QA_DATA_DIR=/data \
    POLICY_QA_HOST=0.0.0.0 \
    POLICY_QA_PORT=8000

# Build the index of the bundled corpus now (as the app user, into /data), so the container serves at once.
RUN policy-qa index

# /data holds index builds and the embedding cache; declared after the build above so the image keeps it
# (a fresh named volume is seeded with it; a bind mount starts empty and `serve` builds the index first).
# /corpus: an operator mounts their own documents here, sets POLICY_QA_CORPUS_DIR=/corpus (and
# POLICY_QA_CATALOG=/corpus/catalog.yaml, or another catalogue path) and runs `policy-qa index`
# (e.g. `docker exec <container> policy-qa index`), then calls POST /admin/reload (X-API-Key, with
# POLICY_QA_ADMIN_API_KEY set): the worker that receives it swaps the index and the other follows within
# POLICY_QA_RELOAD_POLL_S.
VOLUME ["/data", "/corpus"]

# Behind a reverse proxy (nginx, Traefik, a government gateway), name it so each citizen gets their own rate
# limit from its X-Forwarded-For: e.g. -e POLICY_QA_TRUSTED_PROXIES='["10.0.0.0/8"]'. Unset, the header is
# ignored and the proxy's address is the client. On the first start with an empty /data the console prints
# the generated admin password for the officials' chat (`docker logs`).
ENV POLICY_QA_TRUSTED_PROXIES=[]

EXPOSE 8000

# python:3.11-slim has no curl: probe /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('POLICY_QA_PORT', '8000') + '/healthz', timeout=4)"]

CMD ["policy-qa", "serve", "--workers", "2"]
