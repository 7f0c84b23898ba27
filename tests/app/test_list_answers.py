"""List, responsibility and validity answers through the whole pipeline, on small documents written here: a
long list keeps every item in document order and says how many; a unit that leads in one plan and cooperates
in another is found in both under its role; a plan whose period has ended says so; two plans with comparable
targets are compared row by row; a count is read off the numbering."""

from __future__ import annotations

import pytest

from app.answer.pipeline import ask

ITEMS = "".join(f"（{n}）第{n}项登记事项内容；\n" for n in "一二三四五六七八九十")
ITEMS += "".join(f"（十{n}）第十{n}项登记事项内容；\n" for n in "一二三四")
REGISTER = f"""某市企业登记管理办法
第一条 为规范登记工作，制定本办法。
第二条 企业应当登记下列事项：
{ITEMS}第三条 本办法自2020年1月1日起施行，有效期至2022年12月31日。
"""
PLAN_A = """某市科技创新三年行动计划（2021-2023年）
一、主要任务
（一）建设创新平台。到2023年，新建市级以上创新平台20家以上。（牵头单位：市科技局；配合单位：市财政局）
（二）培育科技企业。年内高新技术企业数量达到300家。（牵头单位：市工信局；配合单位：科技局）
"""
PLAN_B = """某市数字经济发展行动方案
一、重点任务
（一）推进数据开放。建设公共数据开放平台。（牵头单位：市数据局；配合单位：市科学技术局、市财政局）
（二）发展算力产业。建成算力中心3个。（牵头单位：市科技局）
"""

HEFEI = """合肥市新能源汽车产业发展行动方案
一、发展目标
到2025年，全市新能源汽车产量达到100万辆。
二、重点任务
（一）建设氢能示范线。建成加氢站10座。
"""
WUHU = """芜湖市新能源汽车产业发展行动方案
一、发展目标
到2025年，全市新能源汽车产量达到50万辆。
二、重点任务
（一）完善充电网络。新建充电桩5000个。
"""


@pytest.fixture(scope="module")
def engine(small_engine):
    return small_engine({f"{name}.txt": text for name, text in (
        ("register", REGISTER), ("plan_a", PLAN_A), ("plan_b", PLAN_B), ("hefei", HEFEI), ("wuhu", WUHU))})


def _ask(engine, question: str):
    retriever, store = engine
    return ask(question, retriever, store, top_k=5, min_coverage=0.55)


def test_long_list_gives_count_first_items_and_every_item_in_order(engine):
    answer = _ask(engine, "企业应当登记哪些事项?")
    assert not answer.abstained and answer.rule == "items"
    assert "共14项" in answer.answer and "第一项登记事项内容" in answer.answer
    assert "第十四项登记事项内容" not in answer.answer  # beyond the first items: in `items`
    assert [line for _, line in answer.items] == [line.rstrip() for line in ITEMS.splitlines()]
    assert len(answer.citations) < len(answer.items)


def test_unit_leading_one_task_and_cooperating_on_others_is_listed_under_each_role(engine):
    answer = _ask(engine, "市科技局负责哪些任务?")
    assert not answer.abstained and answer.rule == "tasks"
    text = answer.answer
    assert "建设创新平台" in text and "培育科技企业" in text and "推进数据开放" in text and "发展算力产业" in text
    # grouped by document and role: the lead measures of a plan come before those it cooperates on
    assert text.index("牵头") < text.index("建设创新平台") < text.index("为配合单位") < text.index("培育科技企业")
    led = _ask(engine, "市科技局牵头哪些任务?")
    assert "建设创新平台" in led.answer and "发展算力产业" in led.answer and "培育科技企业" not in led.answer


def test_answer_citing_an_expired_document_says_so(engine):
    answer = _ask(engine, "企业应当登记哪些事项?")
    assert "已到期" in answer.answer and "有效期至2022年12月31日" in answer.answer


def test_comparison_gives_each_side_its_own_cited_row_and_says_when_one_is_silent(engine):
    answer = _ask(engine, "合肥和芜湖的新能源汽车产量目标分别是多少?")
    assert not answer.abstained and answer.rule == "compare"
    hefei, wuhu = (next(line for line in answer.answer.splitlines() if line.startswith(p)) for p in ("合肥", "芜湖"))
    assert "100万辆" in hefei and "50万辆" in wuhu  # each side its own figure, each cited
    assert {c.hit.chunk.doc_id for c in answer.citations} == {"hefei", "wuhu"}
    hydrogen = _ask(engine, "合肥和芜湖在加氢站方面各提出了什么?")
    assert "加氢站10座" in hydrogen.answer and "芜湖：《芜湖市新能源汽车产业发展行动方案》未提及" in hydrogen.answer


def test_count_is_read_off_the_structure_and_every_counted_item_returned(engine):
    answer = _ask(engine, "某市数字经济发展行动方案共有多少条任务?")
    assert answer.rule == "count" and "共有2条" in answer.answer
    assert [line for _, line in answer.items] == ["（一）推进数据开放。", "（二）发展算力产业。"]


def test_a_count_names_where_the_numbering_skips(small_engine):
    retriever, store = small_engine({"gaps.txt": """某县乡村振兴工作要点
1.推进高标准农田建设。
2.发展庭院经济。
4.改善农村人居环境。
"""})
    answer = ask("某县乡村振兴工作要点共有多少条?", retriever, store, top_k=5, min_coverage=0.55)
    assert answer.rule == "count" and "共有3条" in answer.answer
    assert "编号不连续（2.之后为4.）" in answer.answer


def test_validity_of_a_document_that_states_no_period_is_declined_with_that_reason(engine):
    """Not the nearest sentence of another shape: the reader learns the document gives no period."""
    answer = _ask(engine, "某市数字经济发展行动方案还有效吗?")
    assert answer.abstained and answer.rule == "validity"
    assert "某市数字经济发展行动方案" in answer.reason
    stated = _ask(engine, "某市企业登记管理办法还有效吗?")  # one that states it is answered
    assert not stated.abstained and stated.rule == "validity" and "已到期" in stated.answer


def test_a_title_quoted_with_another_place_names_no_document(engine):
    """"南京市…行动方案" quotes the title of 合肥's and 芜湖's plans: neither is the one asked about."""
    answer = _ask(engine, "南京市新能源汽车产业发展行动方案是从什么时候开始施行的?")
    assert answer.abstained and "南京" in answer.reason


def test_a_units_tasks_in_the_document_the_question_names_only(engine):
    answer = _ask(engine, "按照某市数字经济发展行动方案，市科技局负责哪些任务?")
    assert not answer.abstained and answer.rule == "tasks"
    assert "发展算力产业" in answer.answer and "推进数据开放" in answer.answer
    assert "建设创新平台" not in answer.answer and "培育科技企业" not in answer.answer  # the other plan's


FUND = """某市中小企业发展基金管理办法
第一条 为规范资金管理，制定本办法。
第二条 中小企业发展基金的用途如下：
（一）支持企业技术改造。
（二）补助企业融资担保费用。
第三条 中小企业发展基金的来源如下：
（一）市财政年度预算安排。
（二）社会捐赠。
（三）基金收益。
第四条 专家入库采取公开征集、特邀入库和交换共享三种方式。
（一）公开征集。由个人申请、单位推荐。
（二）特邀入库。由市科委邀请。
（三）交换共享。与其他省市共享专家资源。
第五条 本市重点发展工业节能电机、风力发电机、机器人专用电机等永磁电机，年内建成永磁电机产业园。
"""


@pytest.fixture(scope="module")
def fund(small_engine):
    return small_engine({"fund.txt": FUND})


def test_a_list_written_inline_is_quoted_whole_with_its_members_as_items(fund):
    answer = _ask(fund, "本市重点发展哪些类型的永磁电机?")
    assert not answer.abstained and answer.rule == "items"
    assert all(m in answer.answer for m in ("工业节能电机", "风力发电机", "机器人专用电机"))
    assert [line for _, line in answer.items][1:3] == ["风力发电机", "机器人专用电机等永磁电机"]


def test_the_list_whose_heading_names_what_is_asked_is_chosen_over_its_neighbours(fund):
    answer = _ask(fund, "专家入库有哪几种方式?")
    assert answer.rule == "items"
    assert [line for _, line in answer.items] == ["（一）公开征集。", "（二）特邀入库。", "（三）交换共享。"]


def test_a_question_asking_no_list_is_answered_by_the_announced_list_that_states_it(fund):
    answer = _ask(fund, "中小企业发展基金的钱从哪里来?")
    assert answer.rule == "items"
    assert "市财政年度预算安排" in answer.answer and "社会捐赠" in answer.answer and "基金收益" in answer.answer
    assert "技术改造" not in answer.answer  # the other announced list, of the fund's uses


BAOTOU_A = """包头市推进新兴产业发展的实施意见
一、壮大稀土产业
1.提升稀土原料生产能力。扩大稀土冶炼分离产能。
2.拓展稀土终端应用。发展永磁电机产业。
3.建设稀土新材料基地。引进磁材企业。
二、做强光伏产业
4.扩大晶硅产能。建设单晶硅项目。
5.延伸光伏产业链。发展组件和逆变器。
"""
BAOTOU_B = """包头市科技创新工作要点
一、建设创新平台
（一）建设实验室。组建自治区重点实验室。
（二）建设中试基地。建成中试平台。
二、攻关稀土关键技术
（三）突破稀土分离技术。开展稀土绿色分离攻关。
（四）发展稀土功能材料。研发稀土储氢材料。
（五）推广稀土永磁应用。建设示范项目。
"""


@pytest.fixture(scope="module")
def baotou(small_engine):
    return small_engine({"baotou_a.txt": BAOTOU_A, "baotou_b.txt": BAOTOU_B})


def test_a_section_named_by_its_topic_is_listed_from_every_document_that_has_one(baotou):
    answer = _ask(baotou, "包头市有哪些支持稀土产业的措施?")
    assert answer.rule == "items"
    lines = [line for _, line in answer.items]
    assert lines[:3] == ["1.提升稀土原料生产能力。", "2.拓展稀土终端应用。", "3.建设稀土新材料基地。"] or \
        lines[-3:] == ["1.提升稀土原料生产能力。", "2.拓展稀土终端应用。", "3.建设稀土新材料基地。"]
    assert "（三）突破稀土分离技术。" in lines and "（五）推广稀土永磁应用。" in lines
    assert not any("光伏" in line or "实验室" in line for line in lines)  # other sections stay out
    assert {c.hit.chunk.doc_id for c in answer.citations} == {"baotou-a", "baotou-b"}


def test_a_count_of_a_named_part_counts_that_part_only(small_engine):
    answer = _ask(small_engine({"baotou_b.txt": BAOTOU_B}), "包头市科技创新工作要点第二部分有几项任务?")
    assert answer.rule == "count" and "共有3条" in answer.answer and "攻关稀土关键技术" in answer.answer
    assert [line for _, line in answer.items] == ["（三）突破稀土分离技术。", "（四）发展稀土功能材料。",
                                                  "（五）推广稀土永磁应用。"]


def test_a_comparison_row_quotes_the_sentence_with_the_figure_not_a_vaguer_one(small_engine):
    retriever, store = small_engine({
        "hefei.txt": HEFEI.replace("一、发展目标\n", "一、发展目标\n坚持市场主导，推动全市新能源汽车产量稳步增长。\n"),
        "wuhu.txt": WUHU})
    answer = ask("合肥和芜湖的新能源汽车产量各提出了什么?", retriever, store, top_k=5, min_coverage=0.55)
    assert answer.rule == "compare"
    hefei = next(line for line in answer.answer.splitlines() if line.startswith("合肥"))
    assert "100万辆" in hefei and "稳步增长" not in hefei


def test_a_list_written_after_its_lead_in_without_numbers_is_quoted_whole(small_engine):
    retriever, store = small_engine({"rules.txt": """某市工程建设项目并联审批管理规定
第一条 为提高审批效率，制定本规定。
第二条 审批部门应当承担以下责任：组织窗口受理；协调相关部门并联审查；督促及时作出审批决定；组织联合验收。
第三条 本规定自2024年1月1日起施行。
"""})
    answer = ask("审批部门应当承担哪些责任?", retriever, store, top_k=5, min_coverage=0.55)
    assert answer.rule == "items"
    items = ["组织窗口受理；", "协调相关部门并联审查；", "督促及时作出审批决定；", "组织联合验收。"]
    assert all(item.rstrip("；。") in answer.answer for item in items)
    assert [line for _, line in answer.items] == items
