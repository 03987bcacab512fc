"""A person's download of all their data (the right of access and to portability).

``models.py`` (``core_data_downloads``: one request, its file and until when it is kept),
``services.py`` (the rules: one request being prepared at a time, what goes into the archive, core's
part and each plugin's through the ``personal_data`` hook, expiry) and ``routes.py`` (the page under
the account settings and the download, which only the person gets, while logged in).
"""
