"""Exports of a component for its admins: every export of the component (public or not) in one zip.

``models.py`` (``core_component_exports``: who asked, when it was ready, until when it is kept),
``services.py`` (the rules: asking, building in the background, the mail, expiry) and ``routes.py``
(the export page of a component's administration). The files are downloaded only through a route
that checks the space's admin rights; there is no signed link.
"""
