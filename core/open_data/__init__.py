"""The organization's open data: everything public on its site, as CSV and JSON in one zip.

``services.py`` builds it in the background (daily, and when an admin asks) and knows where it is;
``routes.py`` serves the page that describes it (``/open-data``) and the file
(``/open-data/download``). Only what anybody may already read on the site goes in, and no
personal data; see ``services.build``.
"""
