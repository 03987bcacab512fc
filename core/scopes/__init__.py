"""Scopes: the districts, neighbourhoods or themes of an organization, that spaces, proposals and search
results are about.

``models.py`` (``core_scope_types``, ``core_scopes``), ``services.py`` (the rules: codes unique in the
organization, a parent that makes no cycle, no deleting what is in use; the trees and filters other
features use), ``schemas.py`` (the forms) and ``routes.py`` (the admin pages under /admin/scopes).
"""
