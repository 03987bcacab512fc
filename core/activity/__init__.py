"""Public activity: timelines of what happened in the organization, in a space and by a person.

``services.py`` (which events are public activity and whether one may be shown now; a page of a timeline
in one query) and ``routes.py`` (``/activity``, ``/<space prefix>/<slug>/activity``,
``/profiles/<nickname>/activity``); templates under ``activity/``. Built from ``core_events``: an event
type is activity when it is declared with ``public=True``.
"""
