"""Notifications: who is told of an event, in the site and by mail.

``models.py`` (``core_notifications``, ``core_notification_preferences``), ``services.py`` (recipients,
dispatch, the list, preferences, daily and weekly summaries), ``mails.py`` (texts and mails in each
person's language, unsubscribe links), ``schemas.py`` and ``routes.py`` (the pages and the follow
button's routes). Events are recorded by core/events.py, follows by core/follows.py, and every mail
goes through core/outbox.py.
"""
