"""Readings of polyphonic characters settled by the words around them.

pypinyin's phrase data gives most words their right reading (增长 zēngzhǎng,
银行 yínháng, 重新 chóngxīn); these rules cover what it reads wrong on its own: a
character standing alone as a word (为 in 开放时间为, 地 in 认真地, 得 in 你得去),
and a few phrase entries that are wrong for notices (还款 read háikuǎn).

A rule matches on the text before the character (``left``, a pattern that must end
where the character starts) and after it (``right``, matched from just after it),
within one clause. The first matching rule of a character wins.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """Read a character as ``reading`` where both context patterns match."""

    reading: str
    left: re.Pattern[str] | None = None
    right: re.Pattern[str] | None = None
    # Apply even where pypinyin took the reading from a phrase of its dictionary.
    over_phrases: bool = False

    def matches(self, before: str, after: str) -> bool:
        """Tell whether the text around the character fits this rule."""
        if self.left is not None and not self.left.search(before):
            return False
        return self.right is None or bool(self.right.match(after))


def _ends(words: str) -> re.Pattern[str]:
    """Match text ending with one of the space-separated words."""
    return re.compile(f"(?:{'|'.join(words.split())})$")


def _starts(words: str) -> re.Pattern[str]:
    """Match text starting with one of the space-separated words."""
    return re.compile(f"(?:{'|'.join(words.split())})")


def _not_starting(words: str) -> re.Pattern[str]:
    """Match text that starts with none of the space-separated words."""
    return re.compile(f"(?!{'|'.join(words.split())})")


_HAN = "[\u3400-\u9fff]"
_NUMERAL = "[零〇幺一二两三四五六七八九十百千万亿]"
# Who or what 为 (wèi, "for") serves: 为群众办实事, 为进一步做好…
_FOR_WHOM = (
    "了 进一步 切实 做好 确保 加强 推进 深入 全面 方便 保障 保护 减少 防止 避免 提高 "
    "营造 丰富 落实 巩固 促进 维护 助力 民 群众 村民 居民 大家 您 你 我 他 她 人民 广大 "
    "老人 儿童 孩子 困难 农民 乡亲 社区 企业 此 什么 何 国家 党 社会 乡村 全村 全镇 "
    "辖区 百姓 老百姓 学生 留守 特困 残疾 脱贫 独居 孤寡 空巢 家庭 妇女 青少年 "
    "老年人 群众 基层 人人 每一 各位 游客 客户"
)
# What 长 (cháng) describes after it: 长期, 长时间, 长效.
_LENGTH = "期 时 远 久 效 度 短 途 达 约 城 江 廊 跑 寿"
# Heads of a unit, read zhǎng: 村长, 组长, 校长.
_UNIT = (
    "村 镇 乡 组 县 市 局 站 所 队 班 社 科 处 校 院 部 厅 馆 室 庭 会 行 家 厂 团 省 区 署 股 "
    "首 年 师 兄 场 园 店 楼"
)
# 地 after these is the ground (耕地, 该地); after other words it marks an adverb (认真地).
_LAND = (
    "土 耕 基 林 草 园 场 各 本 当 外 此 该 两 产 墓 田 湿 陆 高 山 绿 工 营 驻 住 属 辖 原 目 "
    "平 空 荒 菜 宅 洼 盆 坡 旱 水 腹 内 境 等"
)

RULES: dict[str, tuple[Rule, ...]] = {
    "为": (
        Rule("wei4", right=_starts(_FOR_WHOM)),
        # X为Y: 开放时间为上午八点, 以人民为中心, 被评为先进.
        Rule("wei2", left=re.compile(f"{_HAN}$")),
        Rule("wei4"),
    ),
    "地": (
        Rule("di4", left=_ends(_LAND)),
        Rule(
            "di4",
            right=_starts("区 方 点 址 图 震 面 块 下 上 里 处 带 势 形 质 段 域 貌 标 铁 界"),
        ),
        Rule("de5", left=re.compile(f"{_HAN}{{2}}$"), right=_starts(_HAN)),
    ),
    "得": (
        Rule(
            "de2", right=_starts("到 知 益 分 奖 票 失 罪 病 手 逞 势 救 宠 力 当 体 法 以 出 来")
        ),
        Rule(
            "dei3",
            left=_ends("你 我 他 她 咱 们 大家 还 就 都 也 总 必须 一定 只 可"),
            right=_starts(
                "去 来 做 办 交 注意 小心 按 把 在 赶紧 抓紧 及时 提前 带 准备 先 要 等 填 "
                "到场 自己 好好 多 早 马上 尽快 立即 跟 由 经过 通过 让"
            ),
        ),
        Rule("de5", left=re.compile(f"{_HAN}$")),
    ),
    "长": (
        Rule(
            "zhang3",
            left=_ends(_UNIT),
            right=_not_starting(_LENGTH),
        ),
        Rule(
            "chang2", left=_ends("时间 距离 很 较 太 更 最 全 特 过 漫 延 拉 冗 细 修 悠 狭 绵 超")
        ),
        Rule(
            "chang2", right=_starts("期 时 远 久 效 度 短 途 达 约 城 江 廊 跑 寿 篇 假 年 条 方")
        ),
    ),
    "还": (
        Rule(
            "huan2",
            right=_starts("款 贷 钱 清 本 债 给 回 原 书 车 借 账"),
            over_phrases=True,
        ),
    ),
    "只": (Rule("zhi1", left=re.compile(f"{_NUMERAL}$|[这那每几多]$")),),
    "种": (
        Rule("zhong4", right=_starts("地 树 菜 田 粮 草 花 豆 苗 瓜 果 植 养 上 下 好 稻 麦 玉米")),
        Rule("zhong3", left=re.compile(f"{_NUMERAL}$|[这那各每几多此该某何哪]$")),
    ),
    "干": (
        Rule("gan1", right=_starts("燥 净 旱 粮 货 草 柴 物 果 扰 预 涉 杯")),
        Rule("gan4", right=_starts("活 事 工作 部 劲 啥 什么 好 实事 线 将 一行")),
    ),
    "处": (
        Rule("chu3", right=_starts("理 罚 分 置 于 在 境 方 事 世")),
        Rule(
            "chu4", left=_ends("之 各 此 两 多 一 何 住 到 好 办 益 难 长 短 深 远 暗 明 高 低 别")
        ),
    ),
    "数": (
        Rule("shu3", right=_starts("一数 不清 不胜 着 落")),
        Rule("shu4"),
    ),
    "率": (
        Rule("shuai4", right=_starts("先 领 队 众 直 真 性")),
        Rule("lv4", left=re.compile(f"{_HAN}$")),
    ),
    "朝": (Rule("chao2", right=_starts("向 着 南 北 东 西 阳 代 廷 鲜")),),
    "供": (Rule("gong4", right=_starts("奉 品 养 述 词 认 职")),),
    "应": (Rule("ying4", right=_starts("急 对 用 邀 聘 征 答 届 变 试 验")),),
    "更": (Rule("geng1", right=_starts("新 换 改 正 名 替 迭 生 衣")),),
    "似": (Rule("shi4", right=_starts("的")), Rule("si4")),
    "了": (Rule("liao3", right=_starts("解 结 如指掌 却 然 望 不起 得")),),
}
