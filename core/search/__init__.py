"""Search over everything public in an organization (see services.py for how it stays current)."""

from core.search.services import index, index_space, matching, normalize, remove

__all__ = ["index", "index_space", "matching", "normalize", "remove"]
