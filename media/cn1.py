"""The phonemes of MBROLA's cn1 Mandarin voice, and how a pinyin syllable is made of them.

cn1 (documented in /usr/share/doc/mbrola-cn1/README.txt) records each syllable
as an initial and a final. Its initials include the medial glide of compound
finals (huan = hu + an, xiang = xi + ang) and its finals hold one vowel
(ll is the i of zhi chi shi ri, ii the i of zi ci si, v is ü). The database holds
only the diphones silence→initial, initial→final, final→final and final→silence,
so every syllable is spoken between two silences: ``DIPHONES`` below lists, for
each left phoneme, the right phonemes it joins (read from the database itself).
"""

SILENCE = "_"
_FINAL_NAMES = str.split("a ai an ang ao e ei en eng er o ou i ie ii in ing iu ll ong u ue ui un v")

DIPHONES: dict[str, frozenset[str]] = {
    left: frozenset(rights.split() or (left, SILENCE))
    for left, rights in {
        "_": "a ai an ang ao e ei en eng er o ou i ie ch u ong in ing c iu ue un v b bi "
        "chu cu d di du f g gu h hu j ji ju k ku l li lu m mi n ni nu p pi qi q qu r ru s "
        "sh shu su t ti tu w x xi xu y yu z zh zhu zu _",
        "b": "a ai an ang ao ei en eng i ie in ing o u",
        "bi": "an ao",
        "c": "ii a ai an ang ao e en eng ong ou u ui un",
        "ch": "ll ui a ai an ang ao e en eng ong ou u un",
        "chu": "a ai an ang o",
        "cu": "an o",
        "d": "a ai an ang ao e ei en eng i ie ing iu ong ou u ui un",
        "di": "a an ao",
        "du": "an o",
        "f": "a an ang ei en eng o ou u",
        "g": "a ai an ang ao e ei en eng ong ou u ui un",
        "gu": "a ai an ang o",
        "h": "a ai an ang ao e ei en eng ong ou u ui un",
        "hu": "a ai an ang o",
        "j": "i ie in ing iu ue un v",
        "ji": "a an ang ao ong",
        "ju": "an",
        "k": "a ai an ang ao e en eng ong ou u ui un",
        "ku": "a ai an ang o",
        "l": "a ai an ang ao e ei eng i ie in ing iu ong ou u ue un v",
        "li": "a an ang ao",
        "lu": "an o",
        "m": "a ai an ang ao e ei en eng i ie in ing iu o ou u",
        "mi": "an ao",
        "n": "a ai an ang ao e ei en eng i ie in ing iu ong ou u ue un v",
        "ni": "an ang ao",
        "nu": "an o",
        "p": "a ai an ang ao ei en eng i ie in ing o ou u",
        "pi": "an ao",
        "q": "i ie in ing iu ue un v",
        "qi": "a an ang ao ong",
        "qu": "an",
        "r": "an ang ao e en eng ll ong ou u ui un",
        "ru": "an o",
        "s": "a ai an ang ao e en eng ii ong ou u ui un",
        "sh": "a ai an ang ao e ei en eng ll ou u ui un",
        "shu": "a ai an ang o",
        "su": "an o",
        "t": "a ai an ang ao e eng i ie ing ong ou u ui un",
        "ti": "an ao",
        "tu": "an o",
        "w": "a ai an ang ei en eng o u",
        "x": "i ie in ing iu v ue un",
        "xi": "a an ang ao ong",
        "xu": "an",
        "y": "a an ang ao e i in ing ong ou ue un v",
        "yu": "an",
        "z": "a ai an ang ao e ei en eng ii ong ou u ui un",
        "zh": "a ai an ang ao e ei en eng ll ong ou u ui un",
        "zhu": "a ai an ang o",
        "zu": "an o",
        **dict.fromkeys(_FINAL_NAMES, ""),
    }.items()
}  # fmt: skip

FINALS = frozenset(name for name, rights in DIPHONES.items() if SILENCE in rights)

# How long each initial unit lasts as recorded, in ms: the mean of its part of the
# initial→final diphones (the database's frames are 168 samples at 22,050 Hz).
# The recordings are slow citation syllables; the finals, sung out, last longer still.
RECORDED_INITIAL_MS = {
    "b": 85, "bi": 164, "c": 210, "ch": 190, "chu": 265, "cu": 221, "d": 130, "di": 140,
    "du": 198, "f": 229, "g": 145, "gu": 216, "h": 196, "hu": 245, "j": 165, "ji": 247,
    "ju": 236, "k": 199, "ku": 165, "l": 175, "li": 189, "lu": 206, "m": 151, "mi": 255,
    "n": 178, "ni": 297, "nu": 221, "p": 163, "pi": 221, "q": 224, "qi": 239, "qu": 251,
    "r": 211, "ru": 213, "s": 256, "sh": 285, "shu": 277, "su": 274, "t": 206, "ti": 221,
    "tu": 213, "w": 196, "x": 295, "xi": 294, "xu": 328, "y": 199, "yu": 236, "z": 188,
    "zh": 168, "zhu": 184, "zu": 210,
}  # fmt: skip
# How long each final lasts as recorded, in ms (its part of the final→silence diphone).
RECORDED_FINAL_MS = {
    "a": 190, "ai": 488, "an": 358, "ang": 442, "ao": 282, "e": 267, "ei": 434, "en": 229,
    "eng": 183, "er": 381, "o": 244, "ou": 274, "i": 160, "ie": 251, "ll": 198, "u": 137,
    "ong": 244, "in": 335, "ing": 495, "ii": 160, "ui": 282, "iu": 328, "ue": 244,
    "un": 503, "v": 168,
}  # fmt: skip

_AFTER_GLIDE = ("a", "ai", "an", "ang", "ao", "o", "ong")
_INITIALS = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcsyw")
# Syllables spelled apart from the initial + final pattern.
_WHOLE = {
    "er": ("er",), "n": ("en",), "ng": ("eng",), "m": ("m", "u"), "hm": ("h", "en"),
    "hng": ("h", "eng"), "yu": ("y", "v"), "yue": ("y", "ue"), "yuan": ("yu", "an"),
    "yun": ("y", "un"), "ye": ("y", "e"), "you": ("y", "ou"), "yong": ("y", "ong"),
    "wu": ("w", "u"), "wo": ("w", "o"), "o": ("o",), "lo": ("l", "ou"), "yo": ("y", "ou"),
    "kei": ("k", "ai"), "sei": ("s", "ai"), "ten": ("t", "eng"), "rua": ("ru", "o"),
}  # fmt: skip
# A consonant whose diphone is missing falls back to its nearest neighbour.
_NEAREST_INITIAL = {
    "p": "b", "b": "p", "t": "d", "d": "t", "k": "g", "g": "k", "c": "z", "z": "c",
    "ch": "zh", "zh": "ch", "q": "j", "j": "q", "s": "sh", "sh": "s", "n": "l", "l": "n",
}  # fmt: skip


def units(syllable: str) -> tuple[str, ...]:
    """Return the cn1 phonemes of a toneless pinyin syllable ("zhuang" → zhu, ang)."""
    if syllable.endswith("r") and syllable != "er":
        syllable = syllable[:-1]  # the retroflex ending of 哪儿 (nar): said without it
    syllable = syllable.replace("ü", "v").replace("ve", "ue")
    if syllable in _WHOLE:
        return _WHOLE[syllable]
    initial = next((i for i in _INITIALS if syllable.startswith(i)), "")
    final = syllable[len(initial) :]
    return _checked(*_split(initial, final))


def _split(initial: str, final: str) -> tuple[str, str]:
    """Move a compound final's glide into the initial as cn1 does."""
    if initial in ("j", "q", "x"):
        if final.startswith("u"):
            final = "v" + final[1:]  # ju is jü
        if final == "van":
            return initial + "u", "an"
        if final in ("ve", "vn"):
            final = "u" + final[1:]
    if initial in ("zh", "ch", "sh", "r") and final == "i":
        return initial, "ll"
    if initial in ("z", "c", "s") and final == "i":
        return initial, "ii"
    if initial == "y" and final.startswith("i") and len(final) > 1:
        final = final[1:]  # yin, ying are y + in, y + ing; yi stays y + i
        return initial, "i" + final if final in ("n", "ng") else final
    if (
        len(final) > 1
        and final[0] in "iu"
        and final[1:] in ("a", "ai", "an", "ang", "ao", "o", "ong")
    ):
        glide = "i" if final[0] == "i" else "u"
        return (initial or glide) + (glide if initial else ""), final[1:]
    if final == "uo":
        return initial + "u", "o"
    if final in ("iou", "uei", "uen"):
        final = {"iou": "iu", "uei": "ui", "uen": "un"}[final]
    return initial, final


def _checked(initial: str, final: str) -> tuple[str, ...]:
    """Return the phonemes, replacing a pair the database lacks with the nearest it has."""
    if final not in FINALS:
        final = _nearest_final(final)
    if not initial:
        return (final,)
    if initial in DIPHONES and final in DIPHONES[initial]:
        return initial, final
    neighbour = _NEAREST_INITIAL.get(initial, "")
    if neighbour and final in DIPHONES.get(neighbour, ()):
        return neighbour, final
    return (final,) if final in DIPHONES[SILENCE] else (initial, "a")


def _nearest_final(final: str) -> str:
    """Return the cn1 final closest to a final the voice does not have."""
    for length in range(len(final) - 1, 0, -1):
        if final[:length] in FINALS:
            return final[:length]
    return "e"
