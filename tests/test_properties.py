"""Extraction never crashes on odd text, and every row points at its surface."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.corpus import Article
from pipeline.extract import extract_articles

PIECES = [
    "1,234", "1 234", "1\u00a0234", "3,2", "1.5", "1.250", "2020", "2021-2023", "12th", "$", "€", "US$", "AZN",
    "million", "bn", "m", "km²", "sq km", "ha", "hectares", "percent", "%", "per cent", "mines", "anti-personnel",
    "killed", "injured", "cleared", "since", "by", "as of", "between", "and", "to", "-", "nearly", "over", "about",
    "a", "dozen", "two thousand", "the war", "in", "last year", "May", "3 May", ",", ".", ";", ":", "(", ")", "\n",
    "\n\n", "—", "'", '"', "of whom", "including", "children", "women", "Cambodia", "Ukraine", "ERW", "UXO",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), min_size=1, max_size=40))
def test_extraction_never_crashes_and_offsets_hold(nlp, pieces):
    body = " ".join(pieces)
    if not body.strip():
        body = "x"
    table = extract_articles([Article("prop", body, {"published": "2024-06-15"})], nlp, keep_other=True)
    for row in table.itertuples(index=False):
        assert body[row.start : row.end] == row.surface
        assert row.qualifier in ("exact", "approx", "lower_bound", "upper_bound")
