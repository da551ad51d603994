"""Measure what reading numbers with wetext costs: load time, memory and time a sentence.

Run from the repository root:

    .venv/bin/python bench/textnorm_bench.py [NOTICE.txt]

Each figure is taken in a fresh Python process, so one measurement's imports
never hide another's cost. The notice defaults to the seed notice in shared/.
The figures are printed on the last lines.
"""

import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "shared/seed/000_764db24b36885519.txt"
REPEATS = 5


def rss_mib() -> float:
    """Return this process's resident memory in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def sentences(notice: str) -> list[str]:
    """Split a notice into the sentences speech_text hands to wetext one by one."""
    return [part.strip() for part in re.split(r"[。！？；!?;\n]+", notice) if part.strip()]


def per_sentence_ms(run: object, texts: list[str]) -> list[float]:
    """Return the best of REPEATS timings of run(text), in ms, for each text."""
    assert callable(run)
    timings = []
    for text in texts:
        best = float("inf")
        for _ in range(REPEATS):
            start = time.perf_counter()
            run(text)
            best = min(best, time.perf_counter() - start)
        timings.append(best * 1000)
    return timings


def measure_import() -> dict[str, object]:
    """Measure importing media.textnorm, which must not load the grammars."""
    before = rss_mib()
    start = time.perf_counter()
    import media.textnorm  # noqa: F401

    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rss_mib": rss_mib() - before, "wetext": "wetext" in sys.modules}


def measure_wetext(notice_path: str) -> dict[str, object]:
    """Measure loading wetext and normalizing the notice's sentences with it."""
    notice = Path(notice_path).read_text(encoding="utf-8")
    texts = sentences(notice)
    before = rss_mib()
    start = time.perf_counter()
    import wetext  # type: ignore[import-untyped]

    imported = time.perf_counter()
    normalizer = wetext.Normalizer(lang="zh", operator="tn")
    normalizer.normalize("2023年3月28日18:30")
    loaded = time.perf_counter()
    after_load = rss_mib()
    with_digits = [text for text in texts if re.search(r"\d", text)]
    wetext_ms = per_sentence_ms(normalizer.normalize, with_digits)
    from media.textnorm import speech_text

    speech_ms = per_sentence_ms(speech_text, texts)
    start_notice = time.perf_counter()
    speech_text(notice)
    notice_ms = (time.perf_counter() - start_notice) * 1000
    return {
        "import_s": imported - start,
        "first_normalize_s": loaded - imported,
        "load_rss_mib": after_load - before,
        "sentences": len(texts),
        "with_digits": len(with_digits),
        "wetext_ms": wetext_ms,
        "speech_ms": speech_ms,
        "notice_chars": len(notice),
        "notice_ms": notice_ms,
        "end_rss_mib": rss_mib() - before,
    }


def measure_zh_grammars() -> dict[str, object]:
    """Measure loading only the Chinese TN transducers, which is all speech_text uses."""
    import importlib.util

    spec = importlib.util.find_spec("wetext")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(spec.submodule_search_locations[0]) / "fsts/zh/tn"
    before = rss_mib()
    import kaldifst  # type: ignore[import-untyped]

    graphs = [
        kaldifst.TextNormalizer(str(folder / name)) for name in ("tagger.fst", "verbalizer.fst")
    ]
    return {"rss_mib": rss_mib() - before, "graphs": len(graphs)}


def in_fresh_process(name: str, *args: str) -> dict[str, object]:
    """Run one measurement in a new interpreter and return its figures."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def summary(timings: object) -> str:
    """Describe a list of per-sentence timings."""
    assert isinstance(timings, list)
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"median {statistics.median(ordered):.2f} ms, mean {statistics.mean(ordered):.2f} ms, "
        f"p95 {p95:.2f} ms, max {ordered[-1]:.2f} ms"
    )


def main() -> None:
    """Print the figures, one a line."""
    if sys.argv[1:2] == ["--child"]:
        child = {"import": measure_import, "wetext": measure_wetext, "zh": measure_zh_grammars}
        print(json.dumps(child[sys.argv[2]](*sys.argv[3:])))  # type: ignore[operator]
        return
    notice = sys.argv[1] if len(sys.argv) > 1 else str(SEED)
    imported = in_fresh_process("import")
    loaded = in_fresh_process("wetext", notice)
    zh_only = in_fresh_process("zh")
    print(f"notice: {notice}")
    print(
        f"import media.textnorm: {imported['seconds']:.3f} s, +{imported['rss_mib']:.1f} MiB RSS, "
        f"wetext loaded: {imported['wetext']}"
    )
    print(f"import wetext (loads every grammar it ships): {loaded['import_s']:.3f} s")
    print(f"first Normalizer(lang='zh') + normalize: {loaded['first_normalize_s']:.3f} s")
    print(f"RSS increase of loading wetext: +{loaded['load_rss_mib']:.1f} MiB")
    print(f"RSS increase of the Chinese TN grammars alone: +{zh_only['rss_mib']:.1f} MiB")
    print(
        f"wetext, per sentence with digits ({loaded['with_digits']}): "
        f"{summary(loaded['wetext_ms'])}"
    )
    print(f"speech_text, per sentence ({loaded['sentences']}): {summary(loaded['speech_ms'])}")
    print(
        f"speech_text, whole notice ({loaded['notice_chars']} chars): {loaded['notice_ms']:.1f} ms"
    )
    print(f"RSS increase after all of it: +{loaded['end_rss_mib']:.1f} MiB")


if __name__ == "__main__":
    main()
