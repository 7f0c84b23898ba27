"""The conversation set (evals/sets/conversations.jsonl): two- and three-turn conversations asked through the
real HTTP app the way a client keeps a thread (each answer's `context` and the turns so far sent with the next
question). Reports, per split, follow-up turns answered right, topic switches that carried the old context
(must be 0), first turns right, and what resolution adds to /api/ask p50: follow-up turns timed with their
conversation against their resolved questions asked alone, in the same run.

    python -m evals.conversations [--data-dir DIR] [--show-failures]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.lang.text import normalize_for_search
from evals.dataset import ROOT, SPLITS
from evals.run import set_settings

CONVERSATIONS = ROOT / "sets" / "conversations.jsonl"
REPEATS = 3  # timing passes over the resolved follow-ups

Post = Callable[[dict[str, Any]], Mapping[str, Any]]


def load_conversations(path: Path = CONVERSATIONS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def right(turn: Mapping[str, Any], response: Mapping[str, Any]) -> bool:
    """An answerable turn is right when the answer states every fact; an unanswerable one when it declines
    (or asks back)."""
    if not turn["answerable"]:
        return bool(response["abstained"]) or response.get("followup") == "clarify"
    answer = normalize_for_search(response["answer"])
    return not response["abstained"] and all(normalize_for_search(f) in answer for f in turn["facts"])


@dataclass
class TurnResult:
    conversation: str
    split: str
    position: int  # 0 = first turn
    switch: bool
    right: bool
    carried: bool  # a switch resolved against the old context
    followup: str
    resolved: str
    question: str
    answer: str
    ms: float
    payload: dict[str, Any]  # what was sent, to time it again


def run_conversation(post: Post, conversation: Mapping[str, Any]) -> list[TurnResult]:
    """Ask the turns in order as a client keeps the thread: history of the turns so far and the last context."""
    history: list[dict[str, str]] = []
    context: dict[str, Any] | None = None
    results = []
    for i, turn in enumerate(conversation["turns"]):
        payload: dict[str, Any] = {"question": turn["question"]}
        if history:
            payload |= {"history": history[-20:], "context": context}
        t = time.perf_counter()
        response = post(payload)
        ms = (time.perf_counter() - t) * 1000
        switch = bool(turn.get("switch"))
        results.append(TurnResult(conversation["id"], conversation["split"], i, switch, right(turn, response),
                                  switch and response.get("followup") != "standalone",
                                  response.get("followup", ""), response.get("resolved_question", ""),
                                  turn["question"], response["answer"], ms, payload))
        history += [{"role": "user", "content": turn["question"]},
                     {"role": "assistant", "content": response["answer"][:4000]}]
        context = response.get("context")
    return results


def _timed(post: Post, payload: dict[str, Any]) -> float:
    t = time.perf_counter()
    post(payload)
    return (time.perf_counter() - t) * 1000


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def summary(results: list[TurnResult]) -> dict[str, Any]:
    follow = [r for r in results if r.position and not r.switch]
    switches = [r for r in results if r.switch]
    first = [r for r in results if not r.position]
    return {"conversations": len(first), "follow-up turns": len(follow), "switch turns": len(switches),
            "follow-up turns right": _share([r.right for r in follow]),
            "switches carrying old context": _share([r.carried for r in switches]),
            "switch turns right": _share([r.right for r in switches]),
            "first turns right": _share([r.right for r in first])}


def main() -> None:
    from fastapi.testclient import TestClient

    from app.answer.conversation import resolve
    from app.main import create_api
    from app.schemas import ContextIO
    from app.service import QAService
    from app.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--show-failures", action="store_true", help="of the calibration half only")
    args = parser.parse_args()
    base = Settings(rate_limit_per_minute=100_000, log_json=False,
                    **({"data_dir": args.data_dir} if args.data_dir else {}))
    conversations = load_conversations()
    results: list[TurnResult] = []
    alone_ms, with_ms, resolve_ms, first_same, switch_same = [], [], [], [], []
    embedder = None
    for name in ("bundled", "unseen"):
        settings = set_settings(base, name)
        service = QAService(settings, embedder)
        embedder = service.embedder
        with TestClient(create_api(settings, service)) as client:
            logging.getLogger("policy_qa").setLevel(logging.WARNING)  # no access line per request
            def post(payload: dict[str, Any], client: Any = client) -> Mapping[str, Any]:
                response = client.post("/api/ask", json=payload)
                response.raise_for_status()
                return response.json()

            for conversation in (c for c in conversations if c["set"] == name):
                turns = run_conversation(post, conversation)
                results += turns
                # First turns are asked without a conversation, switches with one: both must be answered as
                # the same question asked alone.
                for r in turns:
                    if not r.position or r.switch:
                        same = post({"question": r.question})["answer"] == r.answer
                        (first_same if not r.position else switch_same).append(same)
            timed = [r for r in results if r.resolved and r.conversation in {c["id"] for c in conversations
                                                                              if c["set"] == name}]
            for _ in range(REPEATS):  # interleaved, so load from other processes falls on both alike
                for r in timed:
                    with_ms.append(_timed(post, r.payload))
                    alone_ms.append(_timed(post, {"question": r.resolved}))
                    engine = service.index.engine
                    context = ContextIO(**r.payload["context"]).to_thread() if r.payload.get("context") else None
                    history = [(h["role"], h["content"]) for h in r.payload["history"]]
                    t = time.perf_counter()
                    resolve(r.question, history, context, engine.retriever, engine.store)
                    resolve_ms.append((time.perf_counter() - t) * 1000)
    table = {split: summary([r for r in results if r.split == split]) for split in SPLITS}
    table["all"] = summary(results)
    print(json.dumps(table, ensure_ascii=False, indent=1))
    print(f"answered as the same question asked alone: first turns {_share(first_same)}, "
          f"topic switches {_share(switch_same)}")
    p_with, p_alone, p_resolve = (statistics.median(x) for x in (with_ms, alone_ms, resolve_ms))
    print(f"/api/ask p50 over the resolved follow-ups ({len(with_ms)} calls each): with their conversation "
          f"{p_with:.1f} ms, their resolved question alone {p_alone:.1f} ms: ratio {p_with / p_alone:.3f}")
    print(f"resolution alone p50 {p_resolve:.2f} ms = {p_resolve / p_alone:.3f} of the /api/ask p50 "
          f"(ratio {(p_alone + p_resolve) / p_alone:.3f})")
    if args.show_failures:
        for r in results:
            if r.split == "calibration" and (not r.right or r.carried):
                print(f"{'CARRIED' if r.carried else 'WRONG'} {r.conversation}/{r.position} [{r.split}] {r.question}"
                      f" -> [{r.followup}] {r.resolved} | {r.answer[:100]!r}")


if __name__ == "__main__":
    main()
