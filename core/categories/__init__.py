"""Categories: the themes a space sorts its proposals and other content by, with one level of
subcategories.

``models.py`` (``core_categories``), ``services.py`` (the rules: a parent of the same space and of the
first level, no deleting what is in use; the lists other features filter by), ``schemas.py`` (the form)
and ``routes.py`` (the space admin's page under /admin/spaces/<id>/categories).
"""
