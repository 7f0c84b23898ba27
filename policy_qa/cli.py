"""`policy-qa`: ingest, index, search, ask, serve, eval. Each command parses options and calls library
code; domain errors become a one-line message and exit code 1, never a stack trace."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer

from app.settings import Settings
from corpus.errors import PolicyQAError

app = typer.Typer(help="Grounded question answering over Chinese policy documents.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)


def handles_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PolicyQAError as exc:
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from None
        except (ValueError, OSError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    return wrapper


@app.command()
@handles_errors
def ingest(paths: Annotated[list[Path] | None, typer.Argument(help="files or folders; default: the corpus")] = None,
           out: Annotated[Path | None, typer.Option(help="output folder; default: POLICY_QA_DATA_DIR")] = None,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Clean and chunk documents; print a report per document and write chunks.jsonl."""
    from corpus.ingest import discover, ingest_files, save

    settings = Settings()
    result = ingest_files(discover(paths or [settings.corpus_dir]), settings.catalog, settings.chunker_config())
    chunks_path, _ = save(result, out or settings.data_dir)
    if as_json:
        typer.echo(json.dumps([r.__dict__ for r in result.reports], ensure_ascii=False, indent=2))
    else:
        typer.echo(f"{'document':40} {'measures':>8} {'chunks':>6} {'units':>5}  warnings")
        for r in result.reports:
            name = r.doc_id or r.source_file
            if r.error:
                typer.echo(f"{name:40} {'-':>8} {'-':>6} {'-':>5}  SKIPPED: {r.error}")
            else:
                typer.echo(f"{name:40} {r.measures:>8} {r.chunks:>6} {r.units_parsed:>5}  {'; '.join(r.warnings)}")
        typer.echo(f"wrote {len(result.chunks)} chunks to {chunks_path}")
    if not result.documents:
        raise typer.Exit(1)


@app.command()
@handles_errors
def index(paths: Annotated[list[Path] | None, typer.Argument(help="files or folders; default: the corpus")] = None,
          force: Annotated[bool, typer.Option(help="publish even an empty corpus or one that lost many documents")]
          = False) -> None:
    """Ingest and (re)build the search index atomically; unchanged chunks reuse cached embeddings."""
    from app.service import build_from_corpus
    from index.embedders import make_embedder
    from index.store import load_build

    settings = Settings()
    embedder = make_embedder(settings.embedder)
    build = build_from_corpus(settings, embedder, paths, force=force)
    manifest = load_build(build, embedder, settings.vector_store_config()).manifest
    typer.echo(f"index {build.name}: {manifest.documents} documents, {manifest.chunks} chunks "
               f"({manifest.embedded_chunks} embedded, rest cached), {manifest.vector_backend} "
               f"{manifest.vector_index}, "
               f"{manifest.build_seconds:.1f}s")


def _service():
    from app.service import QAService

    return QAService(Settings())


@app.command()
@handles_errors
def search(query: str, top_k: Annotated[int, typer.Option("--top-k", "-k", min=1, max=50)] = 5,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the ranked passages for QUERY with their measure paths and scores."""
    hits = _service().search(query, top_k)
    if as_json:
        typer.echo(json.dumps([{"chunk_id": h.chunk.chunk_id, "score": h.score, "measure": h.chunk.measure,
                                "text": h.chunk.text} for h in hits], ensure_ascii=False, indent=2))
        return
    for h in hits:
        typer.echo(f"{h.rank:>2}. {h.score:.4f}  《{h.chunk.title}》{h.chunk.measure}  [{h.chunk.chunk_id}]")
        typer.echo(f"    {h.chunk.text[:160].replace(chr(10), ' ')}")


@app.command()
@handles_errors
def ask(question: str, top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=20)] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Answer QUESTION with citations (the same code as POST /api/ask)."""
    from app.schemas import AskResponse

    answer = _service().ask(question, top_k)
    if as_json:
        typer.echo(AskResponse.of(answer).model_dump_json(indent=2))
        return
    typer.echo(answer.answer)
    typer.echo("\n相关条文（非答案）：" if answer.abstained else "\n来源：")
    for c in answer.citations:
        typer.echo(f"[{c.n}] 《{c.hit.chunk.title}》{c.hit.chunk.measure}: {c.hit.chunk.text[:120]}")


TableFormat = Annotated[str, typer.Option("--format", "-f", help="text, json, csv or xlsx (xlsx needs --out)")]
TableOut = Annotated[Path | None, typer.Option("--out", "-o", help="write the table to this file")]


def _document_id(store, doc: str) -> str:
    """A document named by its id or its file name."""
    if doc in store.documents:
        return doc
    found = [d for d, document in store.documents.items() if document.meta.source_file == doc]
    if not found:
        raise ValueError(f"no document '{doc}' in the index (ids: {', '.join(sorted(store.documents))})")
    return found[0]


def _print_table(kind: str, doc: str, fmt: str, out: Path | None) -> None:
    from app.tables import FORMATS, targets_table, to_csv, to_xlsx, units_table

    if fmt not in ("text", *FORMATS):
        raise ValueError(f"no such format: {fmt} (text, {', '.join(FORMATS)})")
    if fmt == "xlsx" and out is None:
        raise ValueError("xlsx is a binary file: give --out FILE.xlsx")
    store = _service().store
    doc_id = _document_id(store, doc)
    table = (units_table if kind == "units" else targets_table)(store, doc_id)
    if fmt in ("csv", "xlsx"):
        body = to_csv(table) if fmt == "csv" else to_xlsx(table)
        if out:
            out.write_bytes(body)
            typer.echo(f"wrote {len(table.rows)} rows to {out}")
        else:
            typer.echo(body.decode("utf-8-sig"), nl=False)
        return
    if fmt == "json":
        text = json.dumps({"doc_id": table.doc_id, "title": table.title, "rows": table.records()}, ensure_ascii=False,
                          indent=2)
    else:
        lines = [f"《{table.title}》 {len(table.rows)} rows"]
        for row in table.records():
            if kind == "units":
                roles: dict[str, list[str]] = {}
                for unit, role in list(row.items())[2:]:
                    if role:
                        roles.setdefault(role, []).append(unit)
                said = "；".join(f"{r}：{'、'.join(u)}" for r, u in roles.items())
                lines.append(f"{row['条目']} {row['措施']}  {said}")
            else:
                lines.append(f"{row['条目']}  {row['指标']}  {row['目标值']}  {row['年份或期限']}")
        text = "\n".join(lines)
    if out:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"wrote {len(table.rows)} rows to {out}")
    else:
        typer.echo(text)


@app.command()
@handles_errors
def units(doc: Annotated[str, typer.Argument(help="document id or file name")], fmt: TableFormat = "text",
          out: TableOut = None) -> None:
    """The responsibility matrix of DOC: each measure's lead, responsible and cooperating units."""
    _print_table("units", doc, fmt, out)


@app.command()
@handles_errors
def targets(doc: Annotated[str, typer.Argument(help="document id or file name")], fmt: TableFormat = "text",
            out: TableOut = None) -> None:
    """The quantified targets DOC sets: subject, figure, unit, year or deadline, measure, verbatim sentence."""
    _print_table("targets", doc, fmt, out)


@app.command()
@handles_errors
def serve(host: Annotated[str | None, typer.Option()] = None, port: Annotated[int | None, typer.Option()] = None,
          workers: Annotated[int, typer.Option(min=1, max=16)] = 1) -> None:
    """Run the HTTP service (API, widget, chat); builds the index first when none exists."""
    import uvicorn

    from app.service import build_from_corpus
    from index.build import current_build
    from index.embedders import make_embedder
    from index.store import check_build
    from policy_qa.protocol import HeadDeadlineH11Protocol

    # One request already keeps every core busy (the embedder runs in C, off the GIL), so split the cores
    # between workers instead of letting each spin up OpenMP threads for all of them (evals/bench/load.py).
    # Count the cores this process may run on (a container's cpuset, taskset), not the machine's.
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, len(os.sched_getaffinity(0)) // workers)))
    settings = Settings()
    build = current_build(settings.index_dir)
    if build is None:  # once, before workers start, so they don't race to build
        typer.echo(f"no index in {settings.index_dir}: building it from {settings.corpus_dir}", err=True)
        build = build_from_corpus(settings, make_embedder(settings.embedder))
    # A damaged or outdated index is reported here in one line, not as a traceback from each worker; this
    # process does not load the model itself (it would hold it for the server's lifetime).
    check_build(build)
    password = _accounts(settings).ensure_admin()
    if password:  # first start: the one account there is, shown once, so the README's command leads to a chat
        base = f"http://{host or settings.host}:{port or settings.port}"
        typer.echo(f"first start: sign in to the officials' chat at {base}/login as 'admin' with password "
                   f"{password}\n(change it with `policy-qa users passwd admin`; add officials with "
                   "`policy-qa users add NAME`)", err=True)
    # proxy_headers off: uvicorn would trust X-Forwarded-For from 127.0.0.1 by default, letting anyone on this
    # machine pose as any client; the app trusts exactly POLICY_QA_TRUSTED_PROXIES instead. The protocol closes
    # connections that do not finish their request head within the keep-alive timeout (policy_qa/protocol.py).
    uvicorn.run("policy_qa.server:create_app", factory=True, host=host or settings.host, port=port or settings.port,
                workers=workers, log_level="warning", proxy_headers=False, http=HeadDeadlineH11Protocol,
                timeout_keep_alive=settings.header_timeout_s)


users = typer.Typer(help="The officials' accounts for the chat (roles: official, admin).", no_args_is_help=True)
app.add_typer(users, name="users")


def _accounts(settings: Settings | None = None):
    from app.accounts import Accounts

    settings = settings or Settings()
    return Accounts(settings.accounts_path, settings.session_ttl_s)


Password = Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                       envvar="POLICY_QA_NEW_PASSWORD", help="asked for when not given")]


@users.command("add")
@handles_errors
def users_add(username: str, password: Password,
              role: Annotated[str, typer.Option(help="official or admin")] = "official") -> None:
    """Create an account."""
    account = _accounts().add(username, password, role)
    typer.echo(f"added {account.username} ({account.role})")


@users.command("passwd")
@handles_errors
def users_passwd(username: str, password: Password) -> None:
    """Set a new password; the user's sessions end."""
    _accounts().set_password(username, password)
    typer.echo(f"password of {username} changed")


@users.command("remove")
@handles_errors
def users_remove(username: str) -> None:
    """Delete an account and end its sessions."""
    _accounts().remove(username)
    typer.echo(f"removed {username}")


@users.command("list")
@handles_errors
def users_list() -> None:
    for account in _accounts().list():
        typer.echo(f"{account.username}\t{account.role}")


@app.command("eval")
@handles_errors
def eval_(url: Annotated[str | None, typer.Option(help="base URL of a running server; default: in-process")] = None,
          question_set: Annotated[str | None, typer.Option(
              "--set", help="a set name (bundled, unseen) or a questions JSONL; default: every set")] = None,
          split: Annotated[str | None, typer.Option(help="calibration or heldout; default: both")] = None,
          out: Annotated[Path, typer.Option(help="output folder")] = Path("eval-report"),
          limit: Annotated[int | None, typer.Option(min=1, help="first N questions only")] = None,
          baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="naive RAG row (in-process)")]
          = True) -> None:
    """Score /api/search and /api/ask on the question set; write report.md, results.json and plots to OUT."""
    from evals.dataset import SETS, SPLITS
    from evals.run import run_from_options, split_breakdown, split_table, table_rows

    if question_set not in (None, *SETS) and not Path(question_set).is_file():
        raise ValueError(f"no such question set: {question_set} (a file, or one of {', '.join(SETS)})")
    if split not in (None, *SPLITS):
        raise ValueError(f"no such split: {split} (one of {', '.join(SPLITS)})")
    results = run_from_options(url, question_set, out, limit, baseline, split)
    for name, result in (results.items() if not url else [("", results)]):
        typer.echo(f"## {name}" if name else "")
        typer.echo("\n".join(split_table(result["systems"]["system"])))
        typer.echo("\n".join(split_breakdown("kind", result["systems"]["system"]["by_split_type"])))
        typer.echo("\n".join(table_rows(result)))
    typer.echo(f"wrote reports under {out}")


def main() -> None:
    app(prog_name="policy-qa")


if __name__ == "__main__":
    sys.exit(main())
