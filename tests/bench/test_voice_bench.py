"""The voice benchmark's judge: character error rate and the ear form both sides share.

Only the pure parts of bench/voice_bench.py: neither faster-whisper nor the model.
"""

import re

import pytest

from bench.voice_bench import (
    CORPUS,
    ONLINE_ENGINES,
    Judged,
    cer,
    ear_form,
    edit_distance,
    load_corpus,
    offline_engine_names,
    summarize,
)

TRADITIONAL = str.maketrans(
    {"請": "请", "撥": "拨", "醫": "医", "療": "疗", "險": "险", "電": "电", "話": "话"}
)


def as_is(text: str) -> str:
    return text


def table_simplify(text: str) -> str:
    return text.translate(TRADITIONAL)


@pytest.mark.parametrize(
    ("reference", "hypothesis", "distance"),
    [
        ("五社联动", "五社联动", 0),
        ("五社联动", "五社连动", 1),
        ("五社联动", "五社动", 1),
        ("五社联动", "五社联联动", 1),
        ("五社联动", "", 4),
        ("", "五社", 2),
        ("医保", "保医", 2),
        ("养老服务", "老养服务站", 3),
    ],
    ids=[
        "same",
        "substitution",
        "deletion",
        "insertion",
        "nothing heard",
        "empty ref",
        "swap",
        "mixed",
    ],
)
def test_edit_distance(reference: str, hypothesis: str, distance: int) -> None:
    assert edit_distance(reference, hypothesis) == distance


@pytest.mark.parametrize(
    ("reference", "hypothesis", "rate"),
    [
        ("社会工作", "社会工作", 0.0),
        ("社会工作", "社会共作", 0.25),
        ("社会工作", "", 1.0),
        ("医保", "医保医保医保", 2.0),  # a recognizer's repetitions count against it
    ],
    ids=["perfect", "one of four", "silence", "hallucinated repeats"],
)
def test_cer_is_edits_over_reference_length(reference: str, hypothesis: str, rate: float) -> None:
    assert cer(reference, hypothesis) == pytest.approx(rate)


def test_cer_refuses_an_empty_reference() -> None:
    with pytest.raises(ValueError, match="reference is empty"):
        cer("", "医保")


@pytest.mark.parametrize(
    ("written", "heard"),
    [
        ("请于3月28日前缴费。", "请于三月二十八日前缴费"),
        ("上午9:30开始", "上午九点三十分开始"),
        ("每人380元", "每人三百八十元"),
        ("补贴12.6万元", "补贴十二点六万元"),
        ("参保率96.5%", "参保率百分之九十六点五"),
        ("最低气温-2℃", "最低气温零下2℃"),
        ("便民热线12345", "便民热线 1 2 3 4 5"),
        ("便民热线12345", "便民热线幺二三四五"),
        ("请拨打110报警", "请拨打一一零报警"),
        ("手机13881234567", "手机138-8123-4567"),
        ("咨询电话0827-8812345", "咨询电话零八二七，八八一二三四五"),
        ("共2000元", "共二千元"),
        ("社区、社会组织，社会工作者。", "社区 社会组织 社会工作者"),
        ("Wi-Fi 密码", "wifi密码"),
    ],
    ids=[
        "date",
        "clock time",
        "money",
        "ten-thousands",
        "percent",
        "below zero",
        "hotline spaced",
        "hotline 幺",
        "110",
        "mobile dashed",
        "landline",
        "两 and 二",
        "punctuation and spaces",
        "latin case",
    ],
)
def test_written_and_heard_forms_meet(written: str, heard: str) -> None:
    assert ear_form(written, as_is) == ear_form(heard, as_is)


def test_ear_form_keeps_what_differs() -> None:
    assert ear_form("每人380元", as_is) != ear_form("每人三百元", as_is)


def test_ear_form_simplifies_traditional_answers() -> None:
    heard = "請撥打醫療保險電話"
    assert ear_form(heard, table_simplify) == ear_form("请拨打医疗保险电话", as_is)
    assert ear_form(heard, as_is) != ear_form("请拨打医疗保险电话", as_is)


def judged(rate: float, engine_seconds: float, audio_seconds: float, failure: str = "") -> Judged:
    return Judged("n", "ref", "heard", "heard", rate, engine_seconds, audio_seconds, failure)


def test_summary_of_an_engine() -> None:
    row = summarize(
        [judged(0.1, 0.2, 10.0), judged(0.3, 0.4, 10.0), judged(1.0, 0.0, 0.0, "engine failed")]
    )
    assert row["cer_mean"] == pytest.approx(1.4 / 3)
    assert row["cer_median"] == pytest.approx(0.3)
    assert row["cer_max"] == pytest.approx(1.0)
    assert row["seconds_per_notice"] == pytest.approx(0.2)
    assert row["rtf"] == pytest.approx(0.03)
    assert (row["notices"], row["failed"]) == (3, 1)


def test_corpus_has_the_number_forms_of_a_notice() -> None:
    notices = load_corpus(CORPUS)
    texts = "\n".join(notice.text for notice in notices)
    assert len(notices) >= 30
    for pattern in [
        r"1[3-9]\d{9}",  # a mobile number
        r"0\d{3}-\d{7}",  # a landline with its area code
        r"12345",
        r"110",
        r"\d+元",
        r"\d万元",
        r"\d%",
        r"-\d+℃",
        r"\d{1,2}:\d\d",
        r"五社联动",
        r"医保",
        r"养老",
        r"社会工作",
    ]:
        assert re.search(pattern, texts), pattern
    assert all(1 <= len(re.findall(r"[。！？]", notice.text)) <= 3 for notice in notices)


def test_default_engines_are_offline() -> None:
    names = offline_engine_names()
    assert "espeak-ng" in names
    assert not ONLINE_ENGINES & set(names)
