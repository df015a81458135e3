import pytest

from pipeline.extract import build_nlp


@pytest.fixture(scope="session")
def nlp():
    """The project pipeline, built once per test session (loading spaCy takes seconds)."""
    return build_nlp()
