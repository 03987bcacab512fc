"""User groups: associations and collectives of people of an organization, and writing on their behalf.

``models.py`` (``core_user_groups``, ``core_user_group_memberships``), ``services.py`` (the rules:
creating and editing a group, invitations, requests to join, admins, verification, and who may write
on behalf of which group), ``schemas.py`` (the forms), ``permissions.py`` (the actions), ``routes.py``
(the public pages under /groups and the admin page /admin/groups) and ``demo.py`` (demo groups).
Comments and proposals keep a ``user_group_id`` and ask ``services.may_act_for`` before storing one.
"""
