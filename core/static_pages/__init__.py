"""Static pages of the organization: help, about, terms of a service, written by its admins.

``models.py`` (``core_static_pages``), ``services.py`` (the rules: slugs, sanitised texts, the admin
log, the search index, the footer links), ``schemas.py`` (the form) and ``routes.py`` (the admin
pages under /admin/pages and the public ones under /pages). Not to be confused with the ``pages``
plugin, whose pages belong to a component of a space.
"""
