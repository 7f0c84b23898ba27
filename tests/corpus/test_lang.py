"""The language layer on small texts: numerals, numbering paths and references, dates in every common form,
文号, titles, headings and lead-ins, unit names, asked units, answer types."""

from __future__ import annotations

import pytest

from corpus.lang.dates import date_forms, dates, own_line_dates, year_forms
from corpus.lang.docnumber import doc_number_key, find_doc_number
from corpus.lang.lexicon import translations
from corpus.lang.numbering import cn_to_int, measure_match, measure_path, measure_refs, strip_marker
from corpus.lang.numbers import asked_unit, figures, quantities, states_figure_in
from corpus.lang.orgs import names_organisation, unit_key
from corpus.lang.places import division_codes, divisions_in, most_specific, nested, short_name
from corpus.lang.sentences import clauses, is_lead_in, looks_like_heading
from corpus.lang.titles import is_document_title
from retriever.query import analyse


@pytest.mark.parametrize(("text", "value"), [("十二", 12), ("一百零三", 103), ("二〇二六", 2026), ("二○一二", 2012),
                                             ("③", 3), ("25", 25)])
def test_numerals(text, value):
    assert cn_to_int(text) == value


def test_measure_paths_read_every_spelling_of_one_number():
    assert measure_path("第二章 第十二条 (一)") == [("chapter", 2), ("article", 12), ("cn_paren", 1)]
    assert measure_path("第十二條") == measure_path("第12条") == [("article", 12)]
    assert measure_path("第七条之一") == [("article", 7.1)]  # 第七條之一 is not 第七条
    assert measure_path("三、（二）4.") == [("cn", 3), ("cn_paren", 2), ("num", 4)]


def test_questions_name_measures_in_any_form():
    refs = measure_refs("第16项措施讲的是什么？")
    assert measure_match(refs, "四、(四) 16.") == 1
    assert measure_match(refs, "四、(四) 15.") == 0
    assert measure_match(measure_refs("(三)是什么措施?"), "二、(三)") == 1


@pytest.mark.parametrize("question", ["地方制度法第二十四条之一是关于什么的？", "第24-1條規定什麼？",
                                      "What does Article 24-1 provide?"])
def test_an_added_article_is_named_apart_from_its_base(question):
    """第二十四條之一 (an article inserted after 第二十四條) is neither 第二十四条 nor 第一条."""
    refs = measure_refs(question)
    assert measure_match(refs, "第24条之1") == 1
    assert measure_match(refs, "第24条") == 0 and measure_match(refs, "第1条") == 0


def test_markers_are_stripped_from_headings():
    assert strip_marker("(六)吸引和培育创新人才") == "吸引和培育创新人才"
    assert strip_marker("第二十四条西沱历史名镇") == "西沱历史名镇"
    assert strip_marker("强化政策支持") == "强化政策支持"


def test_dates_in_every_form():
    text = "二○一二年一月九日印发；发布日期：2024-01-15；2023年5月15日；2024/3/8"
    assert dates(text) == ["2012-01-09", "2024-01-15", "2023-05-15", "2024-03-08"]
    assert dates("2023年2月30日") == []  # no such day
    assert own_line_dates("第八条 自2025年4月1日起施行。\n2025年3月18日") == ["2025-03-18"]
    assert "二〇一二年一月九日" in date_forms("2012-01-09") and "1月9日" in date_forms("2012-01-09")
    assert "二○二六" in year_forms(2026)
    # Taiwan's laws date by the ROC calendar: 中華民國一百零五年 is 2016, 一百一十四年 is 2025
    assert "一百零五年" in year_forms(2016) and "一百一十四年" in year_forms(2025) and "民国105年" in year_forms(2016)
    assert measure_refs("What was paid in ROC year 105 (2016)?") == []  # a bracketed year is no item (2016)


@pytest.mark.parametrize(("text", "number"), [
    ("包府发〔2022〕50号", "包府发〔2022〕50号"),
    ("呼政办字 〔2023〕1号", "呼政办字 〔2023〕1号"),  # a space before 〔
    ("沪府办发[2025]17號", "沪府办发[2025]17號"),
    ("府授經能字第1130123456號令訂定", "府授經能字第1130123456號"),
])
def test_document_numbers(text, number):
    assert find_doc_number(text).group(0) == number


def test_document_numbers_compare_whatever_their_brackets():
    assert doc_number_key("包府发〔2022〕50号") == doc_number_key("包府发[2022]50號") == ("2022", "50")


def test_titles_headings_and_lead_ins():
    assert is_document_title("深圳市加快培育发展未来产业若干措施")
    assert is_document_title("赤峰高新区冲刺2000亿园区五年行动方案(2023-2027年)")
    assert not is_document_title("保障措施")  # a section heading, too short for a document
    assert not is_document_title("各区人民政府，市政府直属各单位：")
    assert not is_document_title("一、总体要求")
    assert looks_like_heading("强化政策支持。") and looks_like_heading("市場主導、政府引導")
    assert not looks_like_heading("本措施自2025年4月1日起施行，有效期3年")
    assert is_lead_in("牵头部门应当履行以下职责：")
    long = "到2025年，" + "推动产业链上下游协同发展，" * 6 + "产值达到500亿元。"
    assert clauses(long)[0] == "到2025年，" and clauses("短句。") == ["短句。"]


def test_units_and_organisations():
    assert unit_key("市科技局") == unit_key("科技局")
    assert names_organisation("由县级以上人民政府住房城乡建设主管部门负责")
    assert not names_organisation("加快发展新型储能")


def test_asked_units_and_figures():
    assert asked_unit("实际利用外资累计达到多少亿美元?") == "美元"
    assert asked_unit("奖励多少钱?") == "元"  # 钱 is asked, 元 is stated
    assert asked_unit("企业给多少钱奖励?") == "元"  # jieba reads 多少钱 as one word
    assert asked_unit("上海给多少奖励?") == "元"
    assert asked_unit("多少人才?") is None  # talent, not a count in 人
    assert asked_unit("提了哪几项?") is None  # which ones, not how many
    assert states_figure_in("年内新增50亿美元", "美元") and not states_figure_in("300亿元", "美元")
    assert {q.value for q in quantities("处五千元以上二万元以下罚款")} == {5000.0, 20000.0}


@pytest.mark.parametrize(("text", "values"), [
    ("最高以新臺幣十萬元為限", {100000.0}),
    ("长约八百五十米", {850.0}),
    ("每平方米一点二元且总额不低于六万元", {1.2, 60000.0}),
    ("发展卫星通信用户超千万", {10_000_000.0}),
    ("白天控制在六十分贝以内", {60.0}),
])
def test_chinese_numeral_figures(text, values):
    assert {q.value for q in figures(text)} == values


def test_fractions_and_percentages_in_words():
    (share,) = figures("参与表决人数四分之三以上的业主同意")
    assert share.value == 0.75 and not share.percent
    (limit,) = figures("於支出金額百分之十五限度內")
    assert limit.value == 15.0 and limit.percent
    assert {q.key for q in quantities("15%")} == {q.key for q in quantities("百分之十五")}


@pytest.mark.parametrize("text", ["第十九条 市人民政府应当", "按照（新质技监办〔2011〕7号）的标准", "到2025年底",
                                  "统一部署十四五规划"])
def test_labels_years_and_words_are_not_figures(text):
    """A "多少" question is not answered by an article number, a 文号 or a year."""
    assert figures(text) == []


@pytest.mark.parametrize(("question", "kind"), [
    ("稀土产业产值目标是多少?", "figure"),
    ("稀土新材料产值目标?", "figure"),
    ("本措施什么时候施行?", "validity"),
    ("多长时间内办结?", "date"),
    ("强化政策支持由哪些单位负责?", "organisation"),
    ("市科技局牵头哪些任务?", "tasks"),
    ("专家按专长领域分为哪几类？", "items"),
    ("第二十条规定了什么?", "content"),
    ("What is the fine for illegal construction?", "figure"),
    ("Which department is in charge of property management?", "organisation"),
])
def test_expected_answer_types(question, kind):
    assert analyse(question).answer_type == kind


def test_document_facts_are_asked_only_of_issuance():
    assert analyse("这份文件是哪个部门印发的?什么时候?").doc_facts == ("issuer", "date")
    assert analyse("本措施什么时候施行?").doc_facts == ()  # when it takes effect is an article
    english = analyse("Which body issued these measures, and what is the document number?")
    assert english.doc_facts == ("issuer", "number")
    assert analyse("这份文件的文号是什么?").about_itself


def test_romanised_places_read_as_the_corpus_names_them():
    analysis = analyse("In Binzhou, which department leads the approval?", {"binzhou": "滨州"})
    assert analysis.places == ("滨州",) and "滨州" in analysis.expansion
    company = analyse("How much capacity does the Dadao Industrial project plan?")
    assert company.places == ()  # a name run on by another capitalised word is not a place to check
    # …it is a word stated by its spelling, whichever homophone a place list would have guessed (大岛)
    dadao = {t.word: t for t in company.terms}["dadao"]
    assert dadao.stated_in("大道实业锂云母项目") and not dadao.stated_in("锂云母项目")
    # …unless it starts with a division: an organisation named after its city is judged by that city
    zone = analyse("What output does the Chifeng High-Tech Zone aim for?")
    assert zone.places == ("赤峰",) and "tech" not in {t.word for t in zone.terms}  # "High-Tech" is no name


@pytest.mark.parametrize(("name", "short"), [
    ("内蒙古自治区", "内蒙古"), ("石柱土家族自治县", "石柱"), ("新疆维吾尔自治区", "新疆"), ("浦东新区", "浦东"),
    ("包头市", "包头")])
def test_division_short_names(name, short):
    assert short_name(name) == short


def test_places_nest_by_division():
    """A county's notice is its province's; another city's is not; a plain word is no place."""
    county = divisions_in("剑阁县人民政府办公室")
    assert nested(division_codes("四川"), county) and not nested(division_codes("广州"), county)
    assert division_codes("古镇") == frozenset() and division_codes("新建") == frozenset()  # 新建小区
    assert division_codes("新建区")
    own = most_specific(divisions_in("内蒙古自治区包头市"))
    assert nested(division_codes("内蒙古"), own) and not nested(division_codes("鄂尔多斯"), own)


def test_english_words_read_in_chinese_from_the_dictionary():
    """CC-CEDICT read backwards: an inflected word finds its base form, a phrase wins over its words, and the
    caller keeps only the words its corpus uses."""
    found = {t.english: t.chinese for t in translations("What are the noise limits for rare earth firms?")}
    assert "噪声" in found["noise"] and "稀土" in found["rare earth"]
    assert "rare" not in found and "earth" not in found
    corpus = {"罚款", "处罚"}
    kept = {t.english: t.chinese for t in translations("What fine is imposed?", corpus.__contains__)}
    assert kept["fine"] == ("罚款",)


def test_the_words_that_ask_are_not_judged_only_what_they_ask_about():
    """"期限是多久" and "由哪个部门" are tested by the answer-type rule; the rest must be stated."""
    words = {t.word for t in analyse("乡镇政府审查申请的期限是多久?").terms}
    assert {"审查", "申请"} <= words and not words & {"期限", "多久"}
    words = {t.word for t in analyse("搞房地产开发由哪个部门处罚?").terms}
    assert "处罚" in words and "部门" not in words
    english = {t.word for t in analyse("When did the AI industry promotion regulations come into force?").terms}
    assert "施行" not in english and "人工智能" in english


def test_a_place_inside_an_organisations_name_is_judged_as_a_place():
    analysis = analyse("四川省政府在自查之后还会对哪些对象开展重点抽查?")
    assert analysis.places == ("四川",)
    assert "政府" in {t.word for t in analysis.terms} and "四川省政府" not in {t.word for t in analysis.terms}


def test_a_word_the_idf_table_lacks_weighs_as_its_characters():
    from corpus.lang.words import idf

    assert idf("内要") < idf("稀土") < idf("\u0000")  # HMM leftovers are not rare words; Latin gets the median


def test_an_unknown_word_may_be_an_abbreviation_a_dictionary_word_is_not():
    terms = {t.word: t for t in analyse("综保区可以开展哪些业务?数据中心有多少?").terms}
    assert terms["综保区"].stated_in("促进综合保税区高水平开放")
    assert not terms["数据中心"].stated_in("建设工业大数据应用中心")


def test_english_names_are_places_or_names_a_passage_must_state():
    assert analyse("What is Ulaanchab's target for data centres?").places == ("乌兰察布",)  # the dictionary's
    assert analyse("What is the fine for filling in Jiaozhou Bay?").places == ()  # 拜城 is "Bay" county
    unknown = {t.word: t for t in analyse("What is Ulanqab's target for data centres?").terms}
    assert "ulanqab" in unknown and not unknown["ulanqab"].stated_in("包头市数据中心")
    spelled = {t.word: t for t in analyse("What does the plan say about the Jinqiao Development Zone?").terms}
    assert spelled["jinqiao"].stated_in("金桥开发区") and not spelled["jinqiao"].stated_in("开发区")


def test_a_romanised_file_name_title_spells_the_words_that_name_it():
    terms = {t.word: t for t in analyse("按照地方制度法，人口聚居达到多少才能设直辖市?").terms}
    assert terms["地方"].spelled_by("taiwandifangzhidufa") and not terms["人口"].spelled_by("taiwandifangzhidufa")
