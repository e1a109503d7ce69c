"""The format registry is visible and complete: every extractor module is in EXTRACTORS."""

import pkgutil

import scanner.extractors as pkg
from scanner.extractors import EXTRACTORS

HELPERS = {"ooxml", "wordbin", "archive_limits",  # shared readers with no FORMAT of their own
           "wordml", "wordtext", "drawingml", "sheetml", "layout", "pdftext", "pdffallback", "ofdpkg", "oleprops"}


def test_every_extractor_module_is_registered():
    modules = {m.name for m in pkgutil.iter_modules(pkg.__path__)} - HELPERS
    assert modules == {m.__name__.rsplit(".", 1)[1] for m in EXTRACTORS}


def test_each_extractor_has_the_interface():
    formats = [m.FORMAT for m in EXTRACTORS]
    assert len(formats) == len(set(formats))
    for module in EXTRACTORS:
        assert callable(module.sniff) and callable(module.extract)


def test_plain_text_comes_last():
    assert EXTRACTORS[-1].FORMAT == "txt"  # it accepts nearly anything readable, so it must not shadow others
