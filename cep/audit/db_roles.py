"""The two PostgreSQL roles: an owner that holds the schema and runs migrations, an application role that owns nothing.

The application role gets DML only: SELECT, INSERT, UPDATE, DELETE on the tables, USAGE and SELECT on the
sequences, and on the history tables SELECT and INSERT only. It cannot TRUNCATE, ALTER, disable a trigger, set
`session_replication_role` (superuser only) nor create anything in the schema: the append-only history holds even
against the application's own connection.

A history table is any table carrying a trigger on the `audit_append_only()` function (migrations 0002 and 0003 of
`cep.audit`): `restrict_history_grants` runs after every `migrate` (post_migrate, `cep/audit/apps.py`), so a new
history table cannot keep the UPDATE and DELETE that the default privileges gave it.

`apply_roles` is run by an administrator (a superuser, or a role with CREATEROLE that may change the owners) through
`manage.py db_roles`; it is idempotent, in one transaction, and returns what it did, in French, line by line.
"""

import re

SCHEMA = "public"
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
HISTORY_FORBIDDEN = ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"

HISTORY_TABLES_SQL = """
SELECT DISTINCT c.oid::regclass::text
FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_class c ON c.oid = t.tgrelid
WHERE p.proname = 'audit_append_only' AND NOT t.tgisinternal
ORDER BY 1
"""

# Relations and functions of the schema that belong to no extension; sequences owned by a table column move with it.
OBJECTS_SQL = """
SELECT c.relkind::text, c.oid::regclass::text FROM pg_class c
WHERE c.relnamespace = %(schema)s::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND c.relowner <> %(owner)s::regrole
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype IN ('e', 'a', 'i'))
UNION ALL
SELECT 'function', p.oid::regprocedure::text FROM pg_proc p
WHERE p.pronamespace = %(schema)s::regnamespace AND p.proowner <> %(owner)s::regrole AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.deptype = 'e')
ORDER BY 1, 2
"""

KIND = {
    "r": ("TABLE", "table"),
    "p": ("TABLE", "table"),
    "f": ("FOREIGN TABLE", "table"),
    "v": ("VIEW", "vue"),
    "m": ("MATERIALIZED VIEW", "vue"),
    "S": ("SEQUENCE", "séquence"),
    "function": ("FUNCTION", "fonction"),
}


class RoleError(Exception):
    """A request the command refuses, with its French message."""


def history_tables(cursor) -> list[str]:
    cursor.execute(HISTORY_TABLES_SQL)
    return [name for (name,) in cursor.fetchall()]


def restrict_history_grants(cursor) -> list[str]:
    """Revoke UPDATE, DELETE, TRUNCATE, REFERENCES and TRIGGER on the history tables from every role but their owner.

    Returns the history tables. Idempotent; a no-op when nobody but the owner holds privileges (tests, development).
    """
    tables = history_tables(cursor)
    for table in tables:
        cursor.execute(
            "SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END "
            "FROM pg_class c, aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee "
            "WHERE c.oid = %s::regclass AND a.grantee <> c.relowner AND a.privilege_type = ANY(%s) ORDER BY 1",
            [table, list(HISTORY_FORBIDDEN)],
        )
        for (grantee,) in cursor.fetchall():
            cursor.execute(f"REVOKE {', '.join(HISTORY_FORBIDDEN)} ON {table} FROM {grantee}")
    return tables


def stray_objects(cursor) -> tuple[str | None, int]:
    """(schema owner, number of objects it does not own) once `db_roles` gave the schema to an owner role, else
    (None, 0): a migration run by another role (a superuser) leaves tables the application role cannot use."""
    cursor.execute(
        "SELECT pg_get_userbyid(nspowner) FROM pg_namespace "
        "WHERE nspname = %s AND nspowner <> 'pg_database_owner'::regrole",
        [SCHEMA],
    )
    row = cursor.fetchone()
    if row is None:
        return None, 0
    cursor.execute(OBJECTS_SQL, {"schema": SCHEMA, "owner": row[0]})
    return row[0], len(cursor.fetchall())


def _role(cursor, name: str):
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [name])
    return cursor.fetchone()


def _ensure_role(cursor, name: str, label: str, password: str | None) -> str:
    existing = _role(cursor, name)
    if existing and existing[0]:
        raise RoleError(f"Le rôle {name} est superutilisateur : choisissez un autre nom pour le rôle {label}.")
    verb = "ALTER" if existing else "CREATE"
    cursor.execute(f'{verb} ROLE "{name}" {ROLE_ATTRIBUTES}')
    if password is not None:
        cursor.execute(f'ALTER ROLE "{name}" PASSWORD %s', [password])  # bound client-side, never printed
    state = "mis à jour" if existing else "créé"
    return f"Rôle {label} {name} : {state}{' (mot de passe défini)' if password is not None else ''}."


def apply_roles(
    cursor, *, owner: str, app: str, owner_password: str | None = None, app_password: str | None = None
) -> list[str]:
    """Create or update both roles, give the owner every object of the schema, grant the application role. French
    report, one line per step. Call it inside a transaction."""
    for name in (owner, app):
        if not ROLE_NAME.match(name):
            raise RoleError(
                f"Nom de rôle invalide : « {name} » (lettres minuscules, chiffres et _, 63 caractères au plus)."
            )
    if owner == app:
        raise RoleError("Le rôle propriétaire et le rôle applicatif doivent être deux rôles distincts.")
    cursor.execute("SELECT current_database(), quote_ident(current_database()), current_user")
    database, db, admin = cursor.fetchone()
    if admin in (owner, app):
        raise RoleError(f"Lancez la commande avec un compte d'administration, pas avec le rôle {admin}.")
    o, a = f'"{owner}"', f'"{app}"'  # names checked above: quoting keeps them as typed (even a keyword)
    report = [
        _ensure_role(cursor, owner, "propriétaire", owner_password),
        _ensure_role(cursor, app, "applicatif", app_password),
    ]
    # The application role is a member of no role (pg_write_all_data, the owner…): its rights are the grants below.
    cursor.execute(
        "SELECT quote_ident(g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "WHERE m.member = %s::regrole ORDER BY 1",
        [app],
    )
    for (group,) in cursor.fetchall():
        cursor.execute(f"REVOKE {group} FROM {a}")
        report.append(f"Rôle applicatif {app} : n'hérite plus du rôle {group}.")

    # Superuser-only by default; a GRANT SET ON PARAMETER (PostgreSQL 15+) would let it switch the triggers off.
    cursor.execute(f"REVOKE SET, ALTER SYSTEM ON PARAMETER session_replication_role FROM {a}")
    cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {o}, {a}")
    cursor.execute(f"GRANT CREATE ON DATABASE {db} TO {o}")  # trusted extensions (pg_trgm) created by migrations
    cursor.execute(f"REVOKE CREATE ON DATABASE {db} FROM {a}")
    cursor.execute(f"ALTER SCHEMA {SCHEMA} OWNER TO {o}")
    cursor.execute(f"REVOKE CREATE ON SCHEMA {SCHEMA} FROM PUBLIC")
    cursor.execute(f"REVOKE ALL ON SCHEMA {SCHEMA} FROM {a}")
    cursor.execute(f"GRANT USAGE ON SCHEMA {SCHEMA} TO {a}")
    report.append(
        f"Base {database}, schéma {SCHEMA} : propriétaire {owner} ; {app} peut s'y connecter, sans rien créer."
    )

    cursor.execute(OBJECTS_SQL, {"schema": SCHEMA, "owner": owner})
    moved: dict[str, int] = {}
    for kind, name in cursor.fetchall():
        keyword, label = KIND[kind]
        cursor.execute(f"ALTER {keyword} {name} OWNER TO {o}")
        moved[label] = moved.get(label, 0) + 1
    if moved:
        counts = ", ".join(f"{n} {label}{'s' if n > 1 else ''}" for label, n in moved.items())
        report.append(f"Propriété transférée à {owner} : {counts}.")
    else:
        report.append(f"Propriété : {owner} possède déjà tous les objets du schéma.")

    cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM {a}")
    cursor.execute(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {SCHEMA} TO {a}")
    cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {SCHEMA} FROM {a}")
    cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {a}")
    cursor.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {SCHEMA} REVOKE ALL ON TABLES FROM {a}")
    cursor.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {SCHEMA} GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {a}"
    )
    cursor.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {SCHEMA} REVOKE ALL ON SEQUENCES FROM {a}")
    cursor.execute(f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {SCHEMA} GRANT USAGE, SELECT ON SEQUENCES TO {a}")
    cursor.execute(
        "SELECT count(*) FILTER (WHERE relkind IN ('r', 'p', 'v', 'm', 'f')), count(*) FILTER (WHERE relkind = 'S') "
        "FROM pg_class WHERE relnamespace = %s::regnamespace",
        [SCHEMA],
    )
    tables, sequences = cursor.fetchone()
    report.append(
        f"Droits de {app} : SELECT, INSERT, UPDATE, DELETE sur {tables} tables, USAGE sur {sequences} séquences "
        "(ni TRUNCATE, ni ALTER, ni DROP) ; les tables et séquences que créeront les migrations de "
        f"{owner} recevront les mêmes droits (privilèges par défaut)."
    )
    history = restrict_history_grants(cursor)
    report.append(
        f"Historique en ajout seul ({', '.join(history) or 'aucune table encore'}) : {app} n'y a que SELECT et INSERT."
    )
    return report
