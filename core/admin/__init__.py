"""The organization admin area: people, roles, terms of use, appearance and the admin log."""
