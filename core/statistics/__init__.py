"""Statistics: the organization and each space in numbers, with charts that need no JavaScript.

``services.py`` (what is counted, visibility, the cache), ``charts.py`` (the geometry of the SVG charts)
and ``routes.py`` (``/statistics`` and ``/<space prefix>/<slug>/statistics``); templates under
``statistics/``, styles in the theme's ``css/statistics.css``.
"""
