#!/bin/sh
# The container's entrypoint: checks the folders an operator mounts before the service starts, so a wrong
# owner or an empty corpus is one line with its fix instead of `[Errno 13] Permission denied: '/data/index'`
# from deep inside an index build. Then runs the command (CMD, or whatever `docker run` was given).
set -eu

user="$(id -u):$(id -g)"
data="${POLICY_QA_DATA_DIR:-/data}"
corpus="${POLICY_QA_CORPUS_DIR:-}"  # unset: the corpus bundled in the image, nothing mounted to check

fail() {
    echo "error: $*" >&2
    exit 1
}

mkdir -p "$data" 2>/dev/null || true
# Index builds and the embedding cache are written one and two levels down (index/<build>, cache files).
blocked="$(find "$data" -maxdepth 2 ! -writable -print -quit 2>/dev/null || echo "$data")"
if [ ! -d "$data" ] || [ -n "$blocked" ]; then
    fail "$blocked is not writable by the container's user $user; give it the folder mounted at $data" \
         "(on the host: chown -R $user <that folder>), or mount a named volume there"
fi

if [ -n "$corpus" ]; then
    [ -d "$corpus" ] || fail "POLICY_QA_CORPUS_DIR=$corpus is not a folder in the container;" \
                             "mount your documents there (docker run -v /srv/policies:$corpus …)"
    unreadable="$(find "$corpus" ! -readable -print -quit 2>/dev/null || echo "$corpus")"
    [ -z "$unreadable" ] || fail "$unreadable is not readable by the container's user $user;" \
                                 "on the host: chown -R $user <the folder mounted at $corpus>"
    [ -n "$(find "$corpus" -type f -print -quit)" ] || fail "$corpus holds no documents;" \
        "mount a folder of .txt .md .html .docx .pdf files there"
fi

exec "$@"
