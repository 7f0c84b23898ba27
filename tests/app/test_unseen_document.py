"""A document unlike the bundled ones (another city, 第X条 articles under 第X章 chapters, 责任单位 after each
article, 亿美元 and 万千瓦, no catalogue entry): its measures, metadata and figures are answered, and
questions it does not answer are refused."""

from __future__ import annotations

import pytest

from app.service import QAService
from app.settings import Settings

pytestmark = pytest.mark.slow

DOC = """深圳市人民政府办公厅关于印发深圳市加快培育发展未来产业若干措施的通知
深府办规〔2025〕7号
各区人民政府，市政府直属各单位：
《深圳市加快培育发展未来产业若干措施》已经市政府同意，现印发给你们，请认真组织实施。
深圳市人民政府办公厅
2025年3月18日
深圳市加快培育发展未来产业若干措施
第一章 总则
第一条 为抢抓新一轮科技革命和产业变革机遇，加快培育发展未来产业，制定本措施。
第二条 发展目标。到2027年，全市未来产业规模突破1500亿元。到2030年，未来产业规模达到3000亿元。
第二章 主要措施
第三条 强化原始创新。对新认定的国家重点实验室给予最高3000万元资助。（责任单位：市科技创新局、市发展改革委）
第四条 培育氢能产业。到2027年，建成加氢站30座，氢能产业规模达到300亿元。（责任单位：市发展改革委、市交通运输局）
第五条 发展新型储能。新型储能装机规模达到200万千瓦。（责任单位：市发展改革委、市工业和信息化局）
第六条 引进海外投资。未来产业领域实际利用外资累计达到50亿美元。（责任单位：市商务局）
第三章 保障措施
第七条 加强组织领导。成立市未来产业发展领导小组，领导小组办公室设在市发展改革委。
第八条 本措施自2025年4月1日起施行，有效期3年。
"""


def _service_over(tmp_path_factory: pytest.TempPathFactory, embedder, filename: str, text: str) -> QAService:
    """A service whose corpus is this one document, with no catalogue entry."""
    root = tmp_path_factory.mktemp("unseen")
    (root / "corpus").mkdir()
    (root / "corpus" / filename).write_text(text, encoding="utf-8")
    return QAService(Settings(data_dir=root / "data", corpus_dir=root / "corpus"), embedder)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, embedder) -> QAService:
    return _service_over(tmp_path_factory, embedder, "sz-future.txt", DOC)


@pytest.mark.parametrize(("question", "facts", "measure"), [
    ("到2030年未来产业规模要达到多少?", ["3000亿元"], "第二条"),
    ("加氢站要建多少座?", ["30座"], "第四条"),
    ("新型储能装机规模目标是多少万千瓦?", ["200万千瓦"], "第五条"),
    ("實際利用外資累計達到多少億美元?", ["50亿美元"], "第六条"),
    ("第四条的责任单位有哪些?", ["市发展改革委", "市交通运输局"], "第四条"),
    ("领导小组办公室设在哪里?", ["市发展改革委"], "第七条"),
    ("How many hydrogen refuelling stations will Shenzhen build by 2027?", ["30座"], "第四条"),
    ("本措施什么时候施行?", ["2025年4月1日"], "第八条"),  # when it takes effect is an article, not the issue date
    ("这些措施什么时候施行?", ["2025年4月1日"], "第八条"),  # 这些 is grammar, not a missing word
])
def test_measures_of_an_unseen_document_are_answered(service, question, facts, measure):
    answer = service.ask(question)
    assert not answer.abstained, (question, answer.notes)
    assert all(f in answer.answer for f in facts), answer.answer
    assert measure in answer.citations[0].hit.chunk.measure


@pytest.mark.parametrize(("question", "facts"), [
    ("深府办规〔2025〕7号是哪个部门发的?", ["深圳市人民政府办公厅"]),
    ("深圳未来产业若干措施是哪天印发的?", ["2025年3月18日"]),
    ("深圳未来产业若干措施的文号是什么?", ["深府办规〔2025〕7号"]),
])
def test_questions_about_the_document_are_answered_from_its_record(service, question, facts):
    answer = service.ask(question)
    assert not answer.abstained and all(f in answer.answer for f in facts), answer.answer
    cited = answer.citations[0].hit.chunk.text
    assert all(f in cited for f in facts), "each stated fact is in the passage cited for it"


@pytest.mark.parametrize("question", [
    "氢能产业规模目标是多少亿美元?",  # stated in 亿元 only: 300亿元 is not an answer
    "广州市未来产业规模目标是多少?",
    "What is Guangzhou's target for future industries?",
    "第十二条讲了什么?",
])
def test_questions_the_document_does_not_answer_are_refused(service, question):
    answer = service.ask(question)
    assert answer.abstained, answer.answer
    assert "300亿元" not in answer.answer and "1500亿元" not in answer.answer


TRADITIONAL_DOC = """臺中市建築物設置太陽光電發電設備補助辦法
中華民國一百十三年五月二十日府授經能字第1130123456號令訂定
臺中市政府
第一條 臺中市政府為推動太陽光電發電設備之設置，特訂定本辦法。
第二條 本辦法之主管機關為本府經濟發展局。
第三條 住宅類建築物每瓩補助新臺幣一萬元，每案最高補助新臺幣十五萬元。
第四條 本辦法每年度補助總經費以新臺幣三億元為上限。
第五條 本市推動目標為至二○二六年底累計設置容量達三十萬瓩。
2024年5月20日
"""


@pytest.fixture(scope="module")
def traditional(tmp_path_factory: pytest.TempPathFactory, embedder) -> QAService:
    return _service_over(tmp_path_factory, embedder, "taichung-solar.txt", TRADITIONAL_DOC)


@pytest.mark.parametrize(("question", "facts", "measure"), [
    ("第二條講了什麼？", ["經濟發展局"], "第二条"),  # 第X條 articles are measures, found by 第二條 and 第二条
    ("第四条讲了什么？", ["三億元"], "第四条"),
    ("到2026年底累計設置容量目標是多少？", ["三十萬瓩"], "第五条"),  # the text writes the year 二○二六
    ("本辦法的文號是什麼？", ["府授經能字第1130123456號"], None),  # one document: its record answers
])
def test_a_traditional_script_regulation(traditional, question, facts, measure):
    answer = traditional.ask(question)
    assert not answer.abstained, (question, answer.notes)
    assert all(f in answer.answer for f in facts), answer.answer
    if measure:
        assert answer.citations[0].hit.chunk.measure == measure


def test_a_figure_asked_in_another_currency_is_refused(traditional):
    answer = traditional.ask("每年度補助總經費上限是多少港幣？")
    assert answer.abstained and "三億元" not in answer.answer
