"""The project's small exception tree; third-party errors are wrapped where they enter."""


class PolicyWatchError(Exception):
    """Base of every error PolicyWatch raises on purpose."""


class ConfigError(PolicyWatchError):
    """A setting, the source registry or the taxonomy is invalid."""


class FetchError(PolicyWatchError):
    """A page or a list could not be fetched."""


class ParseError(PolicyWatchError):
    """A page could not be turned into a document."""


class LoadError(PolicyWatchError):
    """The warehouse could not be opened, migrated or written."""


class WarehouseBusyError(LoadError):
    """Another process holds the warehouse for writing."""


class SendError(PolicyWatchError):
    """A digest could not be mailed."""
