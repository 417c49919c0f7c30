"""The application on a shared PostgreSQL server instead of the single-user vault.

``connection`` reads a server address and opens it (TLS, SCRAM, a password kept in the
OS credential store); ``database`` is the ``Database`` every service receives, on the
server; ``schema`` runs the same Alembic migrations there; ``move_in`` copies a vault
into an empty server database. ``roles`` holds who may do what (group roles, row-level
security), ``audit_server`` the audit chain the database keeps, ``ownership`` giving
cases to another officer.
"""
