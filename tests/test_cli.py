"""The `policy-qa` command as an operator meets it: refusals are one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_qa.cli import app

pytestmark = pytest.mark.slow  # loads the real embedder


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, corpus: Path, *args: str):
    monkeypatch.setenv("POLICY_QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POLICY_QA_CORPUS_DIR", str(corpus))
    return CliRunner().invoke(app, ["index", *args])


def test_index_of_a_mistyped_corpus_folder_exits_1_naming_it(monkeypatch, tmp_path):
    result = _run(monkeypatch, tmp_path, tmp_path / "documnets")
    assert result.exit_code == 1
    assert "no such file or folder" in result.output and "documnets" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "data" / "index" / "CURRENT").exists()


def test_index_of_an_empty_folder_is_refused_unless_forced(monkeypatch, tmp_path):
    empty = tmp_path / "mnt"
    empty.mkdir()
    result = _run(monkeypatch, tmp_path, empty)
    assert result.exit_code == 1 and "no readable documents" in result.output and "force" in result.output
    forced = _run(monkeypatch, tmp_path, empty, "--force")
    assert forced.exit_code == 0 and "0 documents" in forced.output
