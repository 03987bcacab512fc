"""Areas: the thematic sectors of an organization (urbanism, culture, mobility...) that spaces belong to,
beside their scope (the territory they are about).

``models.py`` (``core_area_types``, ``core_areas``), ``services.py`` (the rules: an area of the
organization's own type; deleting an area leaves its spaces without one; the choices and filter other
features use), ``schemas.py`` (the forms) and ``routes.py`` (the admin pages under /admin/areas).
"""
