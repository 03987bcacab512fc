"""Attachments: documents and images that belong to a space or to a resource of a component.

``models.py`` (attachments and their collections, i.e. folders), ``services.py`` (the rules: who may
see, add and remove files, the limits, the listing a page shows, hero images of spaces),
``schemas.py`` (the forms), ``routes.py`` (HTTP: the space admin's page, the hero image, and the
routes mounted inside every component that declares ``attachable`` resources) and
``permissions.py``. Files themselves are checked, stored and served by ``core.uploads``.
"""
