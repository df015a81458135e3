"""Mine-action claim extraction: articles in, a table of sourced figures out."""

__version__ = "0.1.0"
