"""Participa core: organizations, people, spaces, the plugin contract and the shared features."""

__version__ = "0.1.0"
