"""The Mandarin front end: pinyin by word, polyphones, tone sandhi and pauses.

Expected readings are written as a broadcaster says them: tone numbers after
sandhi, 5 for the neutral tone, ``|`` for a breath inside a clause, ``、``, ``，``
and ``。`` for the pauses of the punctuation.
"""

import pytest

from media.mandarin import Pause, Syllable, spell, transcribe


def said(text: str) -> str:
    """Return text as spoken: pinyin with tones, the final pause left out."""
    return spell(transcribe(text)).removesuffix(" 。")


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        pytest.param("经济增长", "jing1 ji4 zeng1 zhang3", id="增长-zhang"),
        pytest.param("村长说", "cun1 zhang3 shuo1", id="村长-zhang"),
        pytest.param("长期有效", "chang2 qi1 you3 xiao4", id="长期-chang"),
        pytest.param("时间长", "shi2 jian1 chang2", id="时间长-chang"),
        pytest.param(
            "开放时间为上午八点", "kai1 fang4 shi2 jian1 wei2 shang4 wu3 ba1 dian3", id="为-wei2-is"
        ),
        pytest.param("以人民为中心", "yi3 ren2 min2 wei2 zhong1 xin1", id="以为中心-wei2"),
        pytest.param("为群众办实事", "wei4 qun2 zhong4 ban4 shi2 shi4", id="为群众-wei4"),
        pytest.param("为了安全", "wei4 le5 an1 quan2", id="为了-wei4"),
        pytest.param("中国农业银行", "zhong1 guo2 nong2 ye4 yin2 hang2", id="银行-hang"),
        pytest.param("行动起来", "xing2 dong4 qi3 lai2", id="行动-xing"),
        pytest.param("重新办理", "chong2 xin1 ban4 li3", id="重新-chong"),
        pytest.param("重要通知", "zhong4 yao4 tong1 zhi1", id="重要-zhong"),
        pytest.param("还是要", "hai2 shi4 yao4", id="还是-hai"),
        pytest.param("按时还款", "an4 shi2 huan2 kuan3", id="还款-huan"),
        pytest.param("我记得", "wo3 ji4 de5", id="记得-de5"),
        pytest.param("得到帮助", "de2 dao4 bang1 zhu4", id="得到-de2"),
        pytest.param("你得去", "ni2 dei3 qu4", id="你得去-dei"),
        pytest.param("做得很好", "zuo4 de5 hen2 hao3", id="做得-de5"),
        pytest.param("认真地学习", "ren4 zhen1 de5 xue2 xi2", id="认真地-de5"),
        pytest.param("地方政府", "di4 fang1 zheng4 fu3", id="地方-di"),
        pytest.param("保护耕地", "bao3 hu4 geng1 di4", id="耕地-di"),
        pytest.param("了解情况", "liao2 jie3 qing2 kuang4", id="了解-liao"),
        pytest.param("走了", "zou3 le5", id="走了-le5"),
        pytest.param("干部", "gan4 bu4", id="干部-gan4"),
        pytest.param("处理", "chu2 li3", id="处理-chu3"),
        pytest.param("覆盖率", "fu4 gai4 lv4", id="率-lv"),
    ],
)
def test_polyphones_are_read_by_word(text: str, pinyin: str) -> None:
    assert said(text) == pinyin


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        pytest.param("不信", "bu2 xin4", id="不-before-4th"),
        pytest.param("不是", "bu2 shi4", id="不是"),
        pytest.param("不去", "bu2 qu4", id="不去"),
        pytest.param("不好", "bu4 hao3", id="不-before-3rd"),
        pytest.param("不能", "bu4 neng2", id="不-before-2nd"),
        pytest.param("是不是", "shi4 bu5 shi4", id="A不A-neutral"),
        pytest.param("一个", "yi2 ge4", id="一-before-4th"),
        pytest.param("一定", "yi2 ding4", id="一定"),
        pytest.param("一般", "yi4 ban1", id="一-before-1st"),
        pytest.param("一年", "yi4 nian2", id="一-before-2nd"),
        pytest.param("一起", "yi4 qi3", id="一-before-3rd"),
        pytest.param("第一", "di4 yi1", id="一-ordinal"),
        pytest.param("统一", "tong3 yi1", id="一-word-final"),
        pytest.param("星期一", "xing1 qi1 yi1", id="星期一"),
        pytest.param("十一", "shi2 yi1", id="一-in-number"),
        pytest.param("一百一十元", "yi4 bai3 yi1 shi2 yuan2", id="一百一十"),
        pytest.param("一万元", "yi2 wan4 yuan2", id="一万"),
        pytest.param("二零二一年", "er4 ling2 er4 yi1 nian2", id="一-year-digits"),
        pytest.param("一月一日", "yi1 yue4 yi1 ri4", id="一-date"),
        pytest.param("一点三十分", "yi1 dian3 san1 shi2 fen1", id="一-time"),
        pytest.param("下午一点", "xia4 wu3 yi1 dian3", id="一-time-after-下午"),
        pytest.param("凌晨一点", "ling2 chen2 yi1 dian3", id="一-time-after-凌晨"),
        pytest.param("一点到两点", "yi1 dian3 dao4 liang2 dian3", id="一-time-range"),
        pytest.param("一点钟", "yi1 dian3 zhong1", id="一点钟"),
        pytest.param("好一点", "hao3 yi4 dian3", id="一点-a-little"),
        pytest.param("一点点", "yi4 dian2 dian3", id="一点点-a-little"),
        pytest.param("看一看", "kan4 yi5 kan4", id="V一V-neutral"),
        pytest.param("进一步", "jin4 yi2 bu4", id="进一步"),
        pytest.param("老李", "lao2 li3", id="3-3-pair"),
        pytest.param("展览馆", "zhan2 lan2 guan3", id="3-3-3-word"),
        pytest.param("处理好", "chu2 li2 hao3", id="2+1-words"),
        pytest.param("养老保险", "yang2 lao3 bao2 xian3", id="3x4-by-feet"),
        pytest.param("我也很好", "wo2 ye2 hen2 hao3", id="3-run-single-words"),
        pytest.param("请你", "qing2 ni3", id="3-3-across-words"),
        pytest.param("村长讲话", "cun1 zhang2 jiang3 hua4", id="3-3-across-two-words"),
    ],
)
def test_tone_sandhi(text: str, pinyin: str) -> None:
    assert said(text) == pinyin


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        pytest.param("你好。再见", "ni2 hao3 。 zai4 jian4", id="full-stop-long"),
        pytest.param("快来！再见？好", "kuai4 lai2 。 zai4 jian4 。 hao3", id="！？-long"),
        pytest.param("你好，再见", "ni2 hao3 ， zai4 jian4", id="comma-medium"),
        pytest.param(
            "时间：八点；地点", "shi2 jian1 ， ba1 dian3 ， di4 dian3", id="colon-semicolon"
        ),
        pytest.param("老人、儿童", "lao3 ren2 、 er2 tong2", id="enumeration"),
        pytest.param("好，，。", "hao3", id="marks-in-a-row-one-pause"),
        pytest.param(
            "请广大村民积极参加城乡居民医疗保险",
            "qing2 guang3 da4 cun1 min2 | ji1 ji2 can1 jia1 cheng2 xiang1 ju1 min2"
            " | yi1 liao2 bao2 xian3",
            id="breaths-in-a-long-clause",
        ),
        pytest.param(
            "二零二三年三月二十八日",
            "er4 ling2 er4 san1 nian2 san1 yue4 er4 shi2 ba1 ri4",
            id="no-breath-inside-a-date",
        ),
        pytest.param(
            "明天最低气温零下五摄氏度",
            "ming2 tian1 zui4 di1 qi4 wen1 ling2 xia4 wu3 she4 shi4 du4",
            id="no-breath-between-a-number-and-its-unit",
        ),
        pytest.param(
            "社保卡丢失也可以拨打这个电话挂失",
            "she4 bao2 ka3 diu1 shi1 ye3 ke2 yi3 | bo1 da3 zhe4 ge5 dian4 hua4 gua4 shi1",
            id="no-breath-after-也",
        ),
        pytest.param(
            "年满十八至二十二周岁的男青年都可以报名",
            "nian2 man3 shi2 ba1 zhi4 er4 shi2 er4 zhou1 sui4 de5"
            " | nan2 qing1 nian2 dou1 ke2 yi3 bao4 ming2",
            id="no-breath-before-的",
        ),
        pytest.param(
            "高温天气，下午一点至三点请避免田间劳作",
            "gao1 wen1 tian1 qi4 ， xia4 wu3 yi1 dian3 zhi4 san1 dian3"
            " | qing3 bi4 mian3 tian2 jian1 lao2 zuo4",
            id="no-sandhi-across-a-breath",
        ),
    ],
)
def test_pauses(text: str, pinyin: str) -> None:
    assert said(text) == pinyin


def test_the_last_pause_is_a_full_stop() -> None:
    assert transcribe("你好")[-1] is Pause.SENTENCE


@pytest.mark.parametrize(
    ("text", "pinyin"),
    [
        pytest.param("APP", "ei1 pi4 pi4", id="letters-spelled"),
        pytest.param("第5名", "di4 wu3 ming2", id="stray-digit"),
        pytest.param("★★", "", id="nothing-to-say"),
    ],
)
def test_letters_and_digits(text: str, pinyin: str) -> None:
    assert said(text) == pinyin


def test_syllables_keep_their_characters() -> None:
    assert transcribe("不是")[:2] == [Syllable("不", "bu", 2), Syllable("是", "shi", 4)]
