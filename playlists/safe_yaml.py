"""Load YAML from outsiders with bounded cost: size, nesting and node count checked first.

PyYAML's pure-Python scanner is quadratic in nesting depth (a 20 KB file nested
10,000 deep took 41 s, then a RecursionError), and a flat list of 100,000 items
takes most of a minute to build. Here the text is first measured, then walked as a
stream of events from libyaml (the C parser, where PyYAML was built with it): the
walk stops at the first event past a bound, so a hostile file costs at most a few
thousand events. Only then is the document built, with the C loader too.
"""

from __future__ import annotations

from typing import Any

import yaml

from playlists.errors import PlaylistFormatError

# 200 items of 2,000 characters each (3 bytes in UTF-8) fit with room to spare.
MAX_BYTES = 2_000_000
# A playlist nests 5 deep (document, items, item, slide, value).
MAX_DEPTH = 12
# Scalars, lists and mappings; the largest playlist@1 document has a few thousand.
MAX_NODES = 20_000

# libyaml where PyYAML has it; the same rules either way, only slower without.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPENS = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSES = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
_NODES = (yaml.ScalarEvent, *_OPENS)


def load_bounded(data: str | bytes, source: str) -> Any:
    """Load one YAML document, refusing it before building it when it is too big or deep."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8"))
    if size > MAX_BYTES:
        raise PlaylistFormatError(
            f"{source}: is {size:,} bytes; a playlist file may have at most {MAX_BYTES:,}"
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PlaylistFormatError(f"{source}: is not UTF-8 text") from None
    else:
        text = data
    try:
        check_shape(text, source)
        return yaml.load(text, Loader=_LOADER)  # a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        why = f" ({problem})" if problem else ""
        raise PlaylistFormatError(f"{source}:{where} is not valid YAML{why}") from None


def check_shape(text: str, source: str) -> None:
    """Walk the YAML events; refuse aliases, nesting past MAX_DEPTH and MAX_NODES nodes."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            # An alias repeats a value without its bytes; nested ones are a bomb.
            raise PlaylistFormatError(
                f"{source}: line {_line(event)}: YAML aliases (*{event.anchor}) are not "
                "allowed; write the value out"
            )
        if isinstance(event, _NODES):
            nodes += 1
            if nodes > MAX_NODES:
                raise PlaylistFormatError(
                    f"{source}: line {_line(event)}: more than {MAX_NODES:,} values; "
                    "a playlist has far fewer"
                )
        if isinstance(event, _OPENS):
            depth += 1
            if depth > MAX_DEPTH:
                raise PlaylistFormatError(
                    f"{source}: line {_line(event)}: lists and mappings nested more than "
                    f"{MAX_DEPTH} deep; a playlist needs 5"
                )
        elif isinstance(event, _CLOSES):
            depth -= 1


def _line(event: yaml.Event) -> int:
    return event.start_mark.line + 1 if event.start_mark else 0
