"""Who may do what on a shared server: four group roles, enforced by PostgreSQL itself.

A council's DBA gives each person a login and grants it one of these NOLOGIN group roles
(docs/server.md); the window only mirrors what the database allows. The decision, as a
CME team works:

- **officer** (``cme_officer``): the named officer and the CME officers. They read every
  case, because a new notification has to be matched against the whole record and
  colleagues cover each other's visits; they create, edit, close, reopen and (under the
  retention rules) erase cases, and give a case to another officer.
- **administrator** (``cme_administrator``): imports and data entry. Reads every case
  (to match an import), creates cases and edits open ones with everything filed under
  them; cannot close a case, cannot touch a closed one, cannot erase one, cannot change
  whose case it is. Closing is the officer's judgment that the child is back in
  education (policy 3.0, step 9).
- **manager** (``cme_manager``): reads everything for reports and oversight, and changes
  nothing in the record.
- **auditor** (``cme_auditor``): reads the audit log only (``cme audit verify --server``),
  not one case.

Everyone appends to the audit log, since their reads are audited too, and nobody
changes it (``audit_server``). The team reads the log's rows about a record (who last
changed a case), the auditor all of it.

Cases have an owner: the login of the officer whose case it is (``cases.owner``), set to
the officer who creates it and left empty ("not allocated") when an administrator
does. Only an officer can change it, only to an officer's login or back to nobody, and
the database writes the change into the audit log itself (``case_reassigned``); erasing
a case is written there by the database too (``case_erased``), whoever does it.

Migration 0010 applies ``install_sql`` (tables as they are then); a later migration
that adds a table of a case's details applies ``case_table_sql`` for it. Tables made
later by the same owner get the roles' privileges by ``ALTER DEFAULT PRIVILEGES``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, text

OFFICER = "cme_officer"
ADMINISTRATOR = "cme_administrator"
MANAGER = "cme_manager"
AUDITOR = "cme_auditor"
GROUP_ROLES = (OFFICER, ADMINISTRATOR, MANAGER, AUDITOR)
#: The roles that work with cases.
TEAM = (OFFICER, ADMINISTRATOR, MANAGER)
#: Tables that are not the record: the log (``audit_server``) and Alembic's own.
_NOT_RECORD = {"audit_log", "audit_chain_head", "alembic_version"}
#: Still open, as the administrator's rows must be.
_OPEN = "status <> 'closed'"


def install(conn: Connection) -> None:
    """Create the roles if missing, grant them, and switch on row-level security.

    Run inside migration 0010 by the login that owns the schema; creating the roles
    needs CREATEROLE, unless the DBA made them first (docs/server.md).
    """
    schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
    tables = _names(
        conn,
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = :s AND table_type = 'BASE TABLE'",
        schema,
    )
    linked = _names(
        conn,
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = :s AND column_name = 'case_id'",
        schema,
    )
    for statement in install_sql(schema, tables=tables, case_tables=linked):
        conn.exec_driver_sql(statement)


def uninstall(conn: Connection) -> None:
    """Take back what ``install`` granted and switched on (the roles themselves stay).

    The roles belong to the whole PostgreSQL cluster and may be granted to people and
    used by other databases, so only the DBA drops them.
    """
    schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
    linked = _names(
        conn,
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = :s AND column_name = 'case_id'",
        schema,
    )
    for statement in remove_sql(schema, case_tables=linked):
        conn.exec_driver_sql(statement)


def install_sql(schema: str, *, tables: Sequence[str], case_tables: Sequence[str]) -> list[str]:
    """The statements ``install`` runs, for the given tables of ``schema``."""
    s = _q(schema)
    everyone = ", ".join(GROUP_ROLES)
    record = sorted(set(tables) - _NOT_RECORD)
    statements = [create_role_sql(role) for role in GROUP_ROLES]
    statements.append(f"GRANT USAGE ON SCHEMA {s} TO {everyone}")
    if record:
        names = ", ".join(f"{s}.{_q(t)}" for t in record)
        statements += [
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {names} TO {OFFICER}, {ADMINISTRATOR}",
            f"GRANT SELECT ON {names} TO {MANAGER}",
        ]
    statements += [
        f"REVOKE DELETE ON {s}.cases FROM {ADMINISTRATOR}",
        f"GRANT SELECT ON {s}.alembic_version TO {everyone}",
        f"GRANT SELECT, INSERT (action, entity, entity_id, detail) ON {s}.audit_log TO {everyone}",
        f"GRANT SELECT ON {s}.audit_chain_head TO {AUDITOR}",
        # Serial ids (the log's included) are drawn by whoever inserts.
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {everyone}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {OFFICER}, {ADMINISTRATOR}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT ON TABLES TO {MANAGER}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE ON SEQUENCES TO {everyone}",
        # The log: everyone appends; the auditor reads it all, the team what is about
        # a record.
        f"ALTER TABLE {s}.audit_log ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY cme_append ON {s}.audit_log FOR INSERT TO {everyone} WITH CHECK (true)",
        f"CREATE POLICY cme_auditor_reads ON {s}.audit_log FOR SELECT TO {AUDITOR} USING (true)",
        f"CREATE POLICY cme_team_reads ON {s}.audit_log FOR SELECT TO {', '.join(TEAM)} "
        "USING (entity <> '' AND entity_id IS NOT NULL)",
        # The cases themselves.
        f"ALTER TABLE {s}.cases ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY cme_team_reads ON {s}.cases FOR SELECT TO {', '.join(TEAM)} USING (true)",
        f"CREATE POLICY cme_officer_writes ON {s}.cases FOR ALL TO {OFFICER} "
        "USING (true) WITH CHECK (true)",
        f"CREATE POLICY cme_administrator_adds ON {s}.cases FOR INSERT TO {ADMINISTRATOR} "
        f"WITH CHECK ({_OPEN})",
        f"CREATE POLICY cme_administrator_edits ON {s}.cases FOR UPDATE TO {ADMINISTRATOR} "
        f"USING ({_OPEN}) WITH CHECK ({_OPEN})",
        *_owner_sql(s),
    ]
    for table in sorted(case_tables):
        statements += case_table_sql(schema, table)
    return statements


def case_table_sql(schema: str, table: str) -> list[str]:
    """Row-level security for a table of a case's details (one with ``case_id``).

    The team reads it all; officers write it all; administrators write only the rows of
    cases still open.
    """
    s, t = _q(schema), _q(table)
    open_case = f"EXISTS (SELECT 1 FROM {s}.cases c WHERE c.id = case_id AND c.{_OPEN})"
    return [
        f"ALTER TABLE {s}.{t} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY cme_team_reads ON {s}.{t} FOR SELECT TO {', '.join(TEAM)} USING (true)",
        f"CREATE POLICY cme_officer_writes ON {s}.{t} FOR ALL TO {OFFICER} "
        "USING (true) WITH CHECK (true)",
        f"CREATE POLICY cme_administrator_adds ON {s}.{t} FOR INSERT TO {ADMINISTRATOR} "
        f"WITH CHECK ({open_case})",
        f"CREATE POLICY cme_administrator_edits ON {s}.{t} FOR UPDATE TO {ADMINISTRATOR} "
        f"USING ({open_case}) WITH CHECK ({open_case})",
        f"CREATE POLICY cme_administrator_removes ON {s}.{t} FOR DELETE TO {ADMINISTRATOR} "
        f"USING ({open_case})",
    ]


def remove_sql(schema: str, *, case_tables: Sequence[str]) -> list[str]:
    """The statements ``uninstall`` runs."""
    s = _q(schema)
    everyone = ", ".join(GROUP_ROLES)
    statements = [
        f"DROP TRIGGER cases_erased ON {s}.cases",
        f"DROP TRIGGER cases_reassigned ON {s}.cases",
        f"DROP TRIGGER cases_owner ON {s}.cases",
        f"DROP FUNCTION {s}.cme_case_erased()",
        f"DROP FUNCTION {s}.cme_case_reassigned()",
        f"DROP FUNCTION {s}.cme_case_owner()",
    ]
    for table in [*sorted(case_tables), "cases"]:
        t = _q(table)
        names = ["cme_team_reads", "cme_officer_writes", "cme_administrator_adds"]
        names += ["cme_administrator_edits"]
        if table != "cases":
            names.append("cme_administrator_removes")
        statements += [f"DROP POLICY {name} ON {s}.{t}" for name in names]
        statements.append(f"ALTER TABLE {s}.{t} DISABLE ROW LEVEL SECURITY")
    statements += [
        f"DROP POLICY cme_append ON {s}.audit_log",
        f"DROP POLICY cme_auditor_reads ON {s}.audit_log",
        f"DROP POLICY cme_team_reads ON {s}.audit_log",
        f"ALTER TABLE {s}.audit_log DISABLE ROW LEVEL SECURITY",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON TABLES FROM {everyone}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON SEQUENCES FROM {everyone}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {everyone}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {everyone}",
        f"REVOKE USAGE ON SCHEMA {s} FROM {everyone}",
    ]
    return statements


def _owner_sql(s: str) -> list[str]:
    search_path = f"SET search_path = pg_catalog, {s}, pg_temp"
    is_officer = f"pg_has_role(current_user, '{OFFICER}', 'MEMBER')"
    return [
        f"""CREATE FUNCTION {s}.cme_case_owner() RETURNS trigger
            LANGUAGE plpgsql {search_path} AS $$
        BEGIN
            -- A superuser counts as a member of every role: the DBA copying a vault in
            -- leaves its cases not allocated.
            IF TG_OP = 'INSERT' AND NEW.owner = '' AND EXISTS (
                    SELECT 1 FROM pg_roles r WHERE r.rolname = session_user
                    AND NOT r.rolsuper AND pg_has_role(r.oid, '{OFFICER}', 'MEMBER')) THEN
                NEW.owner := session_user;
            END IF;
            IF TG_OP = 'UPDATE' AND NEW.owner IS NOT DISTINCT FROM OLD.owner THEN
                RETURN NEW;
            END IF;
            IF TG_OP = 'UPDATE' AND NOT {is_officer} THEN
                RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
                    MESSAGE = 'Only a CME officer can give a case to someone else.';
            END IF;
            IF NEW.owner <> '' AND NOT EXISTS (
                    SELECT 1 FROM pg_roles r WHERE r.rolname = NEW.owner
                    AND NOT r.rolsuper AND pg_has_role(r.oid, '{OFFICER}', 'MEMBER')) THEN
                RAISE EXCEPTION USING ERRCODE = 'check_violation',
                    MESSAGE = 'A case can only be given to the login of a CME officer.';
            END IF;
            RETURN NEW;
        END $$""",
        f"""CREATE FUNCTION {s}.cme_case_reassigned() RETURNS trigger
            LANGUAGE plpgsql {search_path} AS $$
        BEGIN
            INSERT INTO audit_log (action, entity, entity_id, detail) VALUES (
                'case_reassigned', 'case', NEW.id,
                'from=' || coalesce(nullif(OLD.owner, ''), '-')
                || ' to=' || coalesce(nullif(NEW.owner, ''), '-'));
            RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION {s}.cme_case_erased() RETURNS trigger
            LANGUAGE plpgsql {search_path} AS $$
        BEGIN
            INSERT INTO audit_log (action, entity, entity_id, detail)
                VALUES ('case_erased', 'case', OLD.id, 'by=server');
            RETURN NULL;
        END $$""",
        f"""CREATE TRIGGER cases_owner BEFORE INSERT OR UPDATE OF owner ON {s}.cases
            FOR EACH ROW EXECUTE FUNCTION {s}.cme_case_owner()""",
        f"""CREATE TRIGGER cases_reassigned AFTER UPDATE OF owner ON {s}.cases
            FOR EACH ROW WHEN (OLD.owner IS DISTINCT FROM NEW.owner)
            EXECUTE FUNCTION {s}.cme_case_reassigned()""",
        f"""CREATE TRIGGER cases_erased AFTER DELETE ON {s}.cases
            FOR EACH ROW EXECUTE FUNCTION {s}.cme_case_erased()""",
    ]


def create_role_sql(role: str) -> str:
    """The statement creating the group role ``role`` unless it exists."""
    # Roles belong to the whole cluster: another database (or a DBA) may have made them,
    # and two migrations may race to.
    return f"""DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
            CREATE ROLE {role} NOLOGIN;
        END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END $$"""


def _names(conn: Connection, query: str, schema: str) -> list[str]:
    return [str(r[0]) for r in conn.execute(text(query), {"s": schema})]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
