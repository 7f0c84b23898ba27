"""The responsibility matrix and the targets table as API and CLI users get them: JSON, CSV and XLSX of the
same rows, a document's period in its record, and clear refusals for what does not exist."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from policy_qa.cli import app as cli

DOC = "baotou-2022-hitech-zones"


def test_matrix_json_names_every_unit_of_a_measure_with_its_role(client):
    table = client.get(f"/api/documents/{DOC}/units").json()
    rows = {r[0]: dict(zip(table["header"], r, strict=True)) for r in table["rows"]}
    finance = rows["四、(十一)"]  # (十一)强化科技金融服务 (责任单位:市政府金融办、财政局、科技局)
    assert finance["措施"] == "强化科技金融服务"
    assert {u for u, role in finance.items() if role == "责任"} == {"市政府金融办", "财政局", "市科技局"}
    assert len(table["chunk_ids"]) == len(table["rows"]) and table["chunk_ids"][0].startswith(DOC)


def test_matrix_csv_and_xlsx_hold_the_json_rows(client):
    table = client.get(f"/api/documents/{DOC}/units").json()
    got = client.get(f"/api/documents/{DOC}/units", params={"format": "csv"})
    assert got.headers["content-type"].startswith("text/csv") and "attachment" in got.headers["content-disposition"]
    assert list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")))) == [table["header"], *table["rows"]]
    book = client.get(f"/api/documents/{DOC}/units", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    cells = [[c or "" for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == [table["header"], *table["rows"]]


def test_targets_table_rows_quote_their_sentence(client):
    table = client.get("/api/documents/baotou-2024-emerging-industries/targets").json()
    records = [dict(zip(table["header"], r, strict=True)) for r in table["rows"]]
    rare_earth = next(r for r in records if r["目标值"] == "1000亿元")
    assert rare_earth["指标"] == "稀土产业产值" and rare_earth["单位"] == "亿元"
    assert all(r["目标值"] in r["原文"] for r in records)
    assert not any("奖励" in r["指标"] for r in records)
    sheet = load_workbook(io.BytesIO(client.get("/api/documents/baotou-2024-emerging-industries/targets",
                                                params={"format": "xlsx"}).content)).active
    assert sheet.max_row == len(records) + 2  # the title line, the header, the rows


def test_table_refusals_are_clear(client):
    missing = client.get("/api/documents/nope/units")
    assert missing.status_code == 404 and "nope" in missing.json()["message"]
    bad = client.get(f"/api/documents/{DOC}/targets", params={"format": "pdf"})
    assert bad.status_code == 422 and "format" in bad.json()["message"]


def test_documents_carry_their_period_and_filter_by_day_in_force(client):
    docs = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    hohhot = docs["hohhot-2021-industrial-innovation"]["period"]
    assert (hohhot["stated"], hohhot["end"], hohhot["basis"]) == ("2021-2023年", "2023-12-31", "span")
    in_2022 = {d["doc_id"] for d in client.get("/api/documents", params={"in_force_on": "2022-06-01"}).json()}
    in_2025 = {d["doc_id"] for d in client.get("/api/documents", params={"in_force_on": "2025-06-01"}).json()}
    assert "hohhot-2021-industrial-innovation" in in_2022 and "hohhot-2021-industrial-innovation" not in in_2025


@pytest.mark.slow  # the CLI loads the real embedder
def test_cli_units_and_targets(monkeypatch, settings, tmp_path):
    monkeypatch.setenv("POLICY_QA_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()
    text = runner.invoke(cli, ["units", DOC])
    line = next(x for x in text.output.splitlines() if x.startswith("四、(十一)"))
    assert text.exit_code == 0 and "强化科技金融服务  责任：" in line
    assert {u for u in line.split("责任：")[1].split("、")} == {"市政府金融办", "财政局", "市科技局"}
    out = tmp_path / "m.xlsx"
    saved = runner.invoke(cli, ["units", "002_d68d64c65f227d56.txt", "--format", "xlsx", "--out", str(out)])
    assert saved.exit_code == 0 and load_workbook(out).active["A2"].value == "条目"
    targets = runner.invoke(cli, ["targets", "baotou-2024-emerging-industries", "--format", "csv"])
    assert targets.exit_code == 0 and "稀土产业产值,1000亿元,亿元" in targets.output
    for args, said in ((["units", "nope"], "no document 'nope'"), (["targets", DOC, "-f", "xlsx"], "--out")):
        refused = runner.invoke(cli, args)
        assert refused.exit_code == 1 and said in refused.output and "Traceback" not in refused.output


def test_ask_and_search_keep_to_documents_in_force_on_a_day(client):
    question = "呼和浩特工业科技创新三年行动计划的基本原则有哪些?"
    hohhot = "hohhot-2021-industrial-innovation"

    def cited(day: str) -> set[str]:
        body = client.post("/api/ask", json={"question": question, "filters": {"in_force_on": day}}).json()
        return {c["doc_id"] for c in body["citations"]}

    assert hohhot in cited("2022-06-01")
    assert hohhot not in cited("2025-06-01")  # its 2021-2023 plan has ended
    hits = client.post("/api/search", json={"query": question, "filters": {"in_force_on": "2025-06-01"}}).json()
    assert hits["hits"] and all(h["doc_id"] != hohhot for h in hits["hits"])
    only = client.post("/api/search", json={"query": question, "filters": {"in_force_on": "2025-06-01",
                                                                          "doc_ids": [hohhot]}}).json()
    assert only["hits"] == []  # the one document asked for is not in force: nothing, not everything
    bad = client.post("/api/ask", json={"question": question, "filters": {"in_force_on": "2025-13-01"}})
    assert bad.status_code == 422


def test_a_units_tasks_across_documents_as_json_csv_and_xlsx(client):
    body = client.get("/api/units/包头市科学技术局/tasks").json()  # as written nowhere: 市科技局 in the notes
    docs = {row[0] for row in body["rows"]}
    assert len(docs) >= 2 and {row[4] for row in body["rows"]} <= {"市科技局", "科技局", "包头市科学技术局"}
    assert {"牵头", "责任"} <= {row[3] for row in body["rows"]}  # each measure with its role there
    assert ["二、(四)", "培育建设自治区级高新区"] in [row[1:3] for row in body["rows"]]
    rows = list(csv.reader(io.StringIO(client.get("/api/units/市科技局/tasks", params={"format": "csv"})
                                       .content.decode("utf-8-sig"))))
    assert rows[1:] == body["rows"]
    xlsx = client.get("/api/units/科技局/tasks", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [[c.value or "" for c in r] for r in sheet.iter_rows(min_row=3)] == body["rows"]
    missing = client.get("/api/units/市住房公积金中心/tasks")
    assert missing.status_code == 404 and "市住房公积金中心" in missing.json()["message"]
