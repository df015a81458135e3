"""The benchmark's README table: written between its markers from one run's figures."""

from __future__ import annotations

from pipeline.bench import README_END, README_START, refresh_readme

REPORT = {
    "date": "2026-01-02",
    "machine": {"cores": 2, "python": "3.11"},
    "sizes": {
        "1x": {"articles": 15, "words": 5373, "bare_words_per_s": 3000, "full_words_per_s": 3300, "ratio": 1.1, "write_s": 0.01, "peak_rss_mb": 400.0},
        "10x": {"articles": 150, "words": 53730, "bare_words_per_s": 4000, "full_words_per_s": 4400, "ratio": 1.1, "write_s": 0.02, "peak_rss_mb": 500.0},
    },
    "jobs": {"size": "10x", "jobs1_s": 20.0, "jobs2_s": 11.0, "speedup": 1.82, "identical_output": True},
    "cluster": {"size": "10x", "jobs2_s": 11.0, "local_cluster_2_workers_s": 12.0, "overhead": 0.09, "identical_output": True},
    "incremental": {"size": "10x", "full_s": 20.0, "after_one_new_article_s": 2.0, "share": 0.1},
    "cold_start": {"one_article_s": 1.9, "peak_rss_mb": 250.0},
    "stage_shares_percent": {"spacy parse": 70.0},
    "memory_growth": 0.02,
    "parsed_share": 0.8,
}


def test_readme_table_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nbefore\n{README_START}\nold table\n{README_END}\nafter\n", encoding="utf-8")
    assert refresh_readme(REPORT, readme)
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text
    assert text.startswith("# Title\n\nbefore\n") and text.endswith("after\n")
    assert "| ratio (full / bare) | 1.10 | 1.10 |" in text
    assert "| peak memory, full pipeline | 400 MB | 500 MB |" in text
    assert "peak memory at 10x vs 1x: +2.0 %" in text
    assert "Measured on 2026-01-02, 2 cores" in text


def test_readme_without_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n", encoding="utf-8")
    assert not refresh_readme(REPORT, readme)
    assert readme.read_text(encoding="utf-8") == "# Title\n"
