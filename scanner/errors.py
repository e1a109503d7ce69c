"""The only exceptions extractors raise; scan.scan_file turns each into a status."""


class DocscanError(Exception):
    """Base of the project's own errors."""


class EncryptedFile(DocscanError):
    """The file is password-protected or encrypted; its text cannot be read."""


class CorruptFile(DocscanError):
    """The file claims a format but its content is broken."""


class UnsupportedContent(DocscanError):
    """The format is recognised but this variant cannot be read."""


class TooLarge(DocscanError):
    """A limit (size, members, ratio, rows) was exceeded; the message names it."""


class RuleError(DocscanError):
    """A rule file is invalid; the message names the file. Stops the run (exit 2)."""


class ModelError(DocscanError):
    """A classifier model folder is missing, malformed or tampered with (hash mismatch)."""
