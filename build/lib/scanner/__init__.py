"""leakwarden: find GitHub credentials, private keys and other secrets before they reach git history."""

__version__ = "0.1.0"
