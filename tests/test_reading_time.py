"""Reading time: labels first, else computed from the body."""

from __future__ import annotations

import pytest

from aggregator.reading_time import computed_minutes, minutes_from_label, word_count


@pytest.mark.parametrize(
    "label, minutes",
    [
        ("Reading Time: 6 mins read", 6),
        ("6 min read", 6),
        ("1 minute read", 1),
        ("Lesezeit: 4 Min.", 4),
        ("Temps de lecture : 3 min", 3),
        ("Tiempo de lectura: 5 minutos", 5),
        ("Reading time 5-7 minutes", 5),
        ("Leestijd: 4 minuten", 4),
        ("Czas czytania: 7 min", 7),
        ("Время чтения: 3 мин", 3),
        ("読了時間：5分", 5),
        ("Reading Time: 12", 12),
        ("Reading time", None),
        ("", None),
        (None, None),
        ("Reading time: 0 min", None),
    ],
)
def test_minutes_from_label(label, minutes):
    assert minutes_from_label(label) == minutes


def test_computed_minutes_round_up_with_a_minimum_of_one():
    assert computed_minutes("word " * 201) == 2
    assert computed_minutes("word " * 200) == 1
    assert computed_minutes("word") == 1
    assert computed_minutes("word " * 300, words_per_minute=100) == 3
    assert computed_minutes("") is None and computed_minutes(None) is None


def test_cjk_text_counts_characters():
    text = "新闻" * 500  # 1,000 characters at 500 per minute
    assert computed_minutes(text) == 2
    assert word_count(text) == 1000
    assert word_count("Seoul 서울 news") == 4
