"""Reading time of an article, in whole minutes.

From the page's own label when it has one ("Reading Time: 6 mins read",
"6 min read", "Lesezeit: 4 Min.", "Temps de lecture : 3 min"), else computed
from the body: words / words-per-minute, rounded up, at least 1; text in
Chinese, Japanese or Korean counts characters at characters-per-minute.
"""

from __future__ import annotations

import math
import re
from typing import Optional

_MINUTES = re.compile(
    r"(\d{1,3})(?:\s*[-–]\s*\d{1,3})?\s*"
    r"(?:min|mins|minute|minutes|minuten|minutos|minuti|minut|minuter|minutter|dakika|мин|хв|分|분|'|m\b)",
    re.I,
)
_NUMBER = re.compile(r"\d{1,3}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def minutes_from_label(label: Optional[str]) -> Optional[int]:
    """Minutes stated by a reading-time label, or None when it states none.

    A range ("5-7 min") gives its lower end; a label with a single number and
    no unit ("Reading Time: 6") gives that number.
    """
    if not label:
        return None
    match = _MINUTES.search(label)
    if match:
        value = int(match.group(1))
    else:
        numbers = _NUMBER.findall(label)
        if len(numbers) != 1:
            return None
        value = int(numbers[0])
    return value if 0 < value < 600 else None


def word_count(text: Optional[str]) -> int:
    """Words in a text: whitespace-separated tokens, each CJK character one word."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    if cjk:
        return cjk + len(_CJK.sub(" ", text).split())
    return len(text.split())


def computed_minutes(text: Optional[str], words_per_minute: int = 200, chars_per_minute: int = 500) -> Optional[int]:
    """Minutes to read ``text``: words / ``words_per_minute`` (CJK characters /
    ``chars_per_minute``), rounded up, at least 1; None for no text."""
    if not text or not text.strip():
        return None
    cjk = len(_CJK.findall(text))
    other = len(_CJK.sub(" ", text).split()) if cjk else len(text.split())
    minutes = cjk / chars_per_minute + other / words_per_minute
    return max(1, math.ceil(minutes))
