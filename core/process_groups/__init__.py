"""Process groups: related participatory processes bundled under one title, description and picture.

``models``, ``services`` (the rules), ``schemas`` (the form), ``routes`` (the admin pages under
/admin/process-groups and the public page /process-groups/<id>). A group's page lists only its published,
public processes; the process page and the list of processes show the groups.
"""
