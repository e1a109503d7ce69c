"""docscan: find classification marks in documents (files side)."""

__version__ = "0.1.0"
