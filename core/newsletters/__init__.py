"""Newsletters: organization admins write one, choose who gets it, preview it and send it in the background.

``models.py`` (``core_newsletters``, ``core_newsletter_deliveries``), ``services.py`` (the rules:
drafts, recipients, sending in resumable batches, unsubscribing), ``mails.py`` (the mail in each
person's language, with its unsubscribe link), ``schemas.py`` (the forms) and ``routes.py`` (the
admin pages under /admin/newsletters and the unsubscribe page). Every mail goes through core/outbox.py.
"""
