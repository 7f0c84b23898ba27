# policy-qa: the API, widget and chat on port 8000, with the index of the bundled corpus built into the image.
#
#   docker build -t policy-qa .
#   docker run -p 8000:8000 policy-qa
#
# Where packages come from is a build argument, so the image also builds on an intranet (README "Docker"):
#   BASE_IMAGE       any Python 3.11 image with pip and venv (default python:3.11-slim)
#   INDEX_URL        the package index, e.g. an internal mirror; empty: no index, the wheelhouse alone
#   EXTRA_INDEX_URL  a second index (optional)
#   WHEELHOUSE       a folder in the build context holding `pip download`ed wheels (empty by default)
#   CA_BUNDLE        a file in WHEELHOUSE with the CA certificates of an index behind an internal CA or a
#                    TLS-inspecting proxy (PEM), e.g. ca.pem
#   TORCH_INDEX_URL  where CPU torch comes from (the default e5-fp32 embedder runs in it); empty: the sources
#                    above
#   EXTRAS           project extras: `milvus` (vectors in a Milvus server), `st` (sentence-transformers
#                    embedders and reranker)
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ARG INDEX_URL=https://pypi.org/simple
ARG EXTRA_INDEX_URL=
ARG WHEELHOUSE=docker/wheelhouse
ARG CA_BUNDLE=
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG EXTRAS=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
COPY ${WHEELHOUSE} /wheelhouse
WORKDIR /src
COPY pyproject.toml README.md ./
COPY corpus ./corpus
COPY index ./index
COPY retriever ./retriever
COPY app ./app
COPY ui ./ui
COPY evals ./evals
COPY policy_qa ./policy_qa
# Same steps as README.md's install line, into a venv that the runtime stage copies without the wheelhouse and
# the sources. The pinned torch goes first: a plain PyPI torch is a multi-GB CUDA build, and PyTorch's CPU
# wheel (2.13.0+cpu) sorts above PyPI's 2.13.0, so the extra index wins. Offline, pip builds the project and
# any sdist from the wheelhouse, so it must hold setuptools too. The CA bundle goes in PIP_CERT, not --cert:
# pip before 25.0 (Debian bookworm's is 23.0.1) does not hand --cert to the pip it starts to fetch build
# requirements (setuptools, to build this project), which then fails behind an internal CA; it inherits PIP_CERT.
RUN set -eu; \
    python -m venv /opt/venv; \
    src="--find-links /wheelhouse ${INDEX_URL:+--index-url $INDEX_URL} ${EXTRA_INDEX_URL:+--extra-index-url $EXTRA_INDEX_URL}"; \
    [ -z "$CA_BUNDLE" ] || export PIP_CERT="/wheelhouse/$CA_BUNDLE"; \
    [ -n "$INDEX_URL" ] || src="$src --no-index"; \
    /opt/venv/bin/pip install $src ${TORCH_INDEX_URL:+--extra-index-url $TORCH_INDEX_URL} torch==2.13.0; \
    /opt/venv/bin/pip install $src ".${EXTRAS:+[$EXTRAS]}"

FROM ${BASE_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
COPY --from=build /opt/venv /opt/venv
COPY docker/entrypoint.sh /usr/local/bin/policy-qa-entrypoint

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

# The slim base has no curl: probe /healthz with the standard library. The server listens only once an index
# is loaded; on an empty /data it first builds one (14 s for the bundled corpus on 2 shared cores, far longer
# for a large corpus), so the start period is long: failed probes inside it leave the container "starting", and
# the first answer makes it healthy at once, so a container with its index ready is healthy after one interval.
HEALTHCHECK --interval=10s --timeout=5s --start-period=900s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('POLICY_QA_PORT', '8000') + '/healthz', timeout=4)"]

# Checks the mounted /data and corpus folders first and prints the one-line fix (e.g. the chown) on failure.
ENTRYPOINT ["/usr/local/bin/policy-qa-entrypoint"]
CMD ["policy-qa", "serve", "--workers", "2"]
