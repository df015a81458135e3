"""The spaCy components, in the order data flows through them.

sentences (before the parser) -> quantities -> metrics -> qualifiers -> location
    -> date phrases -> date attachment in the sentence -> document context

(location runs before dates: a known event such as "the end of the war" resolves
through the place the figure is about.)

Each claim is a Span in ``doc.spans["claims"]`` whose ``span._.claim`` holds a frozen
:class:`Claim`; each component refines it. Importing this package registers the
factories with spaCy.
"""

from .claim import CLAIMS_KEY, Claim, claim_spans, ensure_extensions
from . import attributes, sentences, quantities, metrics, qualifiers, location, date_phrases, date_attach, date_context  # noqa: F401  (importing registers the factories)

__all__ = ["CLAIMS_KEY", "Claim", "claim_spans", "ensure_extensions"]
