"""Moderation: people report content, enough reports hide it, a space's moderators review it.

``models.py`` (one moderation per reported resource, one report per person), ``services.py`` (report,
hide, unhide, block the author, and ``not_hidden``/``hidden_ids`` for plugins to leave hidden things
out), ``schemas.py`` (the forms), ``routes.py`` (the report form inside components and the moderation
page of a space's administration).
"""
