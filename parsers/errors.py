"""The project's small exception tree; third-party errors are wrapped where they enter."""


class PolicyWatchError(Exception):
    """Base of every error PolicyWatch raises on purpose."""


class ConfigError(PolicyWatchError):
    """A setting, the source registry or the taxonomy is invalid."""


class FetchError(PolicyWatchError):
    """A page or a list could not be fetched."""


class ParseError(PolicyWatchError):
    """A page could not be turned into a document."""


class AttachmentError(ParseError):
    """An attachment's bytes could not be read as their format (corrupt, truncated, not read by any reader)."""

    status = "undecodable"  # an AttachmentStatus value: kept a string so that this module imports nothing


class AttachmentEncryptedError(AttachmentError):
    """An attachment is locked with a password."""

    status = "encrypted"


class AttachmentTooLargeError(AttachmentError):
    """Reading an attachment would pass a size limit (a zip bomb, a huge stream)."""

    status = "too_large"


class LoadError(PolicyWatchError):
    """The warehouse could not be opened, migrated or written."""


class WarehouseBusyError(LoadError):
    """Another process holds the warehouse for writing."""


class WarehouseHeldError(WarehouseBusyError):
    """Another program kept the warehouse file open (an analyst's DuckDB session) past the time a writer waits."""


class SendError(PolicyWatchError):
    """A digest could not be mailed."""
