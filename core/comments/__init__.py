"""Comments: threads of conversation on any resource a component declares commentable.

``models.py`` (comments, their earlier versions, votes), ``services.py`` (the rules and the thread a
page shows), ``schemas.py`` (the forms), ``routes.py`` (HTTP, mounted inside every component that
declares ``commentable`` resources). A plugin's page calls ``services.thread_for`` and renders the
thread with the ``comment_thread`` macro of ``comments/macros.html``. Reports and hiding are in
``core.moderation``.
"""
