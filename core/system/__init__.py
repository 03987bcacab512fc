"""The system area (/system): the install's own administrators create organizations and look after their
hosts, languages, registration, logo and colours. ``models`` (administrators and their log), ``services``
(the rules), ``schemas`` (the forms), ``routes`` (HTTP, with a session of its own), ``permissions``."""
