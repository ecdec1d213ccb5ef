"""Errors that map to exit codes (2: usage or configuration)."""


class ConfigError(Exception):
    """Bad configuration or rules; the message names the file, line and key."""


class UsageError(Exception):
    """The command line asks for something impossible."""
