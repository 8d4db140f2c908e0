"""Shared test fixtures: fresh, migrated databases on SQLite and on a throwaway PostgreSQL server.

Fixtures
--------
``db_url``        parametrized ``sqlite`` / ``postgresql``: URL of a FRESH, MIGRATED, EMPTY database per test.
``sqlite_url``    the same, SQLite only.
``pg_url``        the same, PostgreSQL only.
``empty_db_url``  parametrized ``sqlite`` / ``postgresql``: URL of an EMPTY, NOT migrated database.
``pg_server``     session-scoped :class:`PgServer` (admin URL, create/drop databases).

The PostgreSQL server is started lazily (only when a test needs it), once per pytest process, so with
``pytest -n N`` every xdist worker owns its server: no cross-process locking is needed. Set
``TRUCE_TEST_POSTGRES_URL`` to use an existing server instead (test databases are created and dropped on it).

Speed: the schema is migrated once per session into a template (a SQLite file that is copied per test; a
PostgreSQL database ``truce_template`` cloned with ``CREATE DATABASE ... TEMPLATE``).
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool
from tests.helpers import fold_wal

import truce.db
import truce.models  # noqa: F401  (registers every table in truce.db.metadata)
import truce.times
from truce.config import normalise_url

PG_ENV = "TRUCE_TEST_POSTGRES_URL"
PG_TMP_PREFIX = "truce-pg-"
PG_PORT = 5432  # only names the socket file: the server listens on no TCP address
ENGINES = ["sqlite", "postgresql"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: a long-running test")


# --------------------------------------------------------------------------------------------------------
# PostgreSQL server
# --------------------------------------------------------------------------------------------------------


class PgServerError(RuntimeError):
    pass


def pg_bindir() -> Path:
    """Directory of the newest installed PostgreSQL server binaries (initdb, pg_ctl)."""
    candidates = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]
    candidates.sort(key=lambda p: _version_key(p.parent.name), reverse=True)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for which in (shutil.which("initdb"), shutil.which("pg_ctl")):
        if which:
            candidates.append(Path(which).parent)
    for d in candidates:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    raise PgServerError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. The tests need them (no test is skipped).\n"
        "Install them, e.g. `sudo apt-get install -y postgresql` (Debian/Ubuntu), or point "
        f"{PG_ENV}=postgresql://user@host/dbname at an existing server (whose user may CREATE DATABASE)."
    )


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in name.split("."))
    except ValueError:
        return (-1,)


def _server_user() -> str | None:
    """The user to run the server as: None (ourselves) unless root; PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "truce-postgres"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            pass
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "truce-postgres"],
        check=True,
        capture_output=True,
    )
    return "truce-postgres"


def _as_user(user: str | None, argv: list[str]) -> list[str]:
    return argv if user is None else ["runuser", "-u", user, "--", *argv]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap_stale_servers(bindir: Path) -> None:
    """Stop and remove servers left behind by test runs that were killed (owner process gone)."""
    for d in glob.glob(os.path.join(tempfile.gettempdir(), PG_TMP_PREFIX + "*")):
        owner = Path(d) / "owner.pid"
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if _pid_alive(pid):
            continue
        data = Path(d) / "data"
        if (data / "postmaster.pid").exists():
            user = _server_user()
            subprocess.run(
                _as_user(user, [str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w"]),
                capture_output=True,
                cwd=d,
                timeout=60,
            )
        shutil.rmtree(d, ignore_errors=True)


class PgServer:
    """A PostgreSQL server reachable through ``admin_url`` (a database we may stay connected to)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._admin: Engine | None = None
        self.version = 0

    def admin(self) -> Engine:
        if self._admin is None:
            self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with self._admin.connect() as c:
                self.version = int(c.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000
        return self._admin

    def url_for(self, dbname: str) -> str:
        return make_url(self.admin_url).set(database=dbname).render_as_string(hide_password=False)

    def create_db(self, name: str, template: str | None = None) -> str:
        sql = f'CREATE DATABASE "{name}"'
        if template:
            sql += f' TEMPLATE "{template}"'
        with self.admin().connect() as c:
            c.exec_driver_sql(sql)
        return self.url_for(name)

    def drop_db(self, name: str) -> None:
        with self.admin().connect() as c:
            force = " WITH (FORCE)" if self.version >= 13 else ""
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"{force}')

    def close(self) -> None:
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None


class LocalPgServer(PgServer):
    """A throwaway server: initdb + pg_ctl in a temp dir, unix socket only, fsync off."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        _reap_stale_servers(self.bindir)
        self.user = _server_user()
        self.tmp = Path(tempfile.mkdtemp(prefix=PG_TMP_PREFIX))
        (self.tmp / "owner.pid").write_text(str(os.getpid()))
        self.data = self.tmp / "data"
        self.sock = self.tmp / "sock"
        self.log = self.tmp / "server.log"
        self.started = False
        self.sock.mkdir()
        if self.user is not None:
            pw = pwd.getpwnam(self.user)
            for p in (self.tmp, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        super().__init__(f"postgresql+psycopg://postgres@/postgres?host={self.sock}&port={PG_PORT}")

    def _run(self, argv: list[str], what: str) -> None:
        try:
            res = subprocess.run(
                _as_user(self.user, argv), capture_output=True, text=True, cwd=self.tmp, timeout=120,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise PgServerError(f"{what} timed out: {exc}") from exc
        if res.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise PgServerError(f"{what} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}\n{log}")

    def start(self) -> None:
        self._run(
            [str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
             "--no-locale", "-N"],
            "initdb",
        )
        opts = " ".join([
            "-c listen_addresses=''",
            f"-c unix_socket_directories='{self.sock}'",
            f"-p {PG_PORT}",
            "-c fsync=off",
            "-c synchronous_commit=off",
            "-c full_page_writes=off",
            "-c max_connections=200",
            "-c shared_buffers=32MB",
        ])
        self.started = True  # from here on, stop() must try to stop it
        self._run(
            [str(self.bindir / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.log),
             "-w", "-t", "60", "-o", opts],
            "pg_ctl start",
        )

    def stop(self) -> None:
        self.close()
        if self.started:
            self.started = False
            with contextlib.suppress(Exception):
                self._run([str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w"],
                          "pg_ctl stop")
            if (self.data / "postmaster.pid").exists():
                with contextlib.suppress(Exception):
                    self._run([str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data), "-m", "immediate",
                               "-w"], "pg_ctl stop")
        shutil.rmtree(self.tmp, ignore_errors=True)


def _worker_suffix() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"_{worker}" if worker else ""


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    external = os.environ.get(PG_ENV)
    if external:
        server = PgServer(normalise_url(external))
        try:
            server.admin()
        except Exception as exc:
            raise PgServerError(f"cannot connect to {PG_ENV}={external}: {exc}") from exc
        try:
            yield server
        finally:
            server.close()
        return

    server = LocalPgServer()
    # Stop the server even if the process exits without running fixture teardown (e.g. SIGTERM).
    atexit.register(server.stop)
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: object) -> None:
        server.stop()
        os._exit(128 + signum)

    if previous in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        server.start()
        server.admin()
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)
        if previous in (signal.SIG_DFL, None):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


# --------------------------------------------------------------------------------------------------------
# Templates (migrated once per session)
# --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> Iterator[str]:
    name = "truce_template" + _worker_suffix()
    pg_server.drop_db(name)
    url = pg_server.create_db(name, template="template0")
    try:
        truce.db.migrate(truce.db.get_engine(url))
    finally:
        truce.db.dispose_all()  # no session may stay connected to a template
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):
            pg_server.drop_db(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    try:
        truce.db.migrate(truce.db.get_engine(f"sqlite:///{path}"))
    finally:
        truce.db.dispose_all()
    # Fold any WAL back into the main file so that copying the file alone copies everything.
    fold_wal(path)
    return path


# --------------------------------------------------------------------------------------------------------
# Per-test databases
# --------------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _fresh_sqlite(request: pytest.FixtureRequest, tmp_path: Path, migrated: bool) -> Iterator[str]:
    path = tmp_path / "truce.db"
    if migrated:
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    try:
        yield f"sqlite:///{path}"
    finally:
        truce.db.dispose_all()


@contextlib.contextmanager
def _fresh_pg(request: pytest.FixtureRequest, migrated: bool) -> Iterator[str]:
    server: PgServer = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template") if migrated else "template0"
    name = f"t_{uuid.uuid4().hex}"
    url = server.create_db(name, template=template)
    try:
        yield url
    finally:
        truce.db.dispose_all()
        server.drop_db(name)


@contextlib.contextmanager
def _fresh(request: pytest.FixtureRequest, kind: str, tmp_path: Path, migrated: bool) -> Iterator[str]:
    if kind == "sqlite":
        with _fresh_sqlite(request, tmp_path, migrated) as url:
            yield url
    elif kind == "postgresql":
        with _fresh_pg(request, migrated) as url:
            yield url
    else:  # pragma: no cover
        raise ValueError(kind)


def _blob_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    blobs = tmp_path / "blobs"
    blobs.mkdir(exist_ok=True)
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(blobs))


@pytest.fixture(params=ENGINES, ids=ENGINES)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of a fresh, migrated, empty database (SQLite and PostgreSQL)."""
    _blob_dir(monkeypatch, tmp_path)
    with _fresh(request, request.param, tmp_path, migrated=True) as url:
        yield url


@pytest.fixture
def sqlite_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of a fresh, migrated, empty SQLite database."""
    _blob_dir(monkeypatch, tmp_path)
    with _fresh(request, "sqlite", tmp_path, migrated=True) as url:
        yield url


@pytest.fixture
def pg_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of a fresh, migrated, empty PostgreSQL database."""
    _blob_dir(monkeypatch, tmp_path)
    with _fresh(request, "postgresql", tmp_path, migrated=True) as url:
        yield url


@pytest.fixture(params=ENGINES, ids=ENGINES)
def empty_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """URL of a fresh database with no schema at all (to test migrations)."""
    _blob_dir(monkeypatch, tmp_path)
    with _fresh(request, request.param, tmp_path, migrated=False) as url:
        yield url



# --------------------------------------------------------------------------------------------------------
# The Astana 2017 scenario, loaded once per session into a template (with its demo users)
# --------------------------------------------------------------------------------------------------------


def _load_astana(url: str, blob_dir: Path) -> None:
    from sqlalchemy import select

    from truce import scenario
    from truce.app import Truce
    from truce.auth import service as auth
    from truce.auth.models import users
    from truce.demo import demo_users
    from truce.ledger.chain import SYSTEM

    app = Truce(url, blob_dir=str(blob_dir))
    scenario.load(app, SYSTEM)
    with app.write() as conn:
        have = {r.name for r in conn.execute(select(users.c.name))}
        for name, org, role in demo_users(conn):
            if name not in have:
                auth.add_user(app, conn, SYSTEM, name, org, role)


@pytest.fixture(scope="session")
def astana_blobs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("astana-blobs")


@pytest.fixture(scope="session")
def sqlite_astana_template(sqlite_template: Path, astana_blobs: Path) -> Path:
    path = sqlite_template.parent / "astana.db"
    shutil.copyfile(sqlite_template, path)
    try:
        _load_astana(f"sqlite:///{path}", astana_blobs)
    finally:
        truce.db.dispose_all()
    fold_wal(path)
    return path


@pytest.fixture(scope="session")
def pg_astana_template(pg_server: PgServer, pg_template: str, astana_blobs: Path) -> Iterator[str]:
    name = "truce_astana" + _worker_suffix()
    pg_server.drop_db(name)
    url = pg_server.create_db(name, template=pg_template)
    try:
        _load_astana(url, astana_blobs)
    finally:
        truce.db.dispose_all()
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):
            pg_server.drop_db(name)


@pytest.fixture(params=ENGINES, ids=ENGINES)
def astana_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, astana_blobs: Path
) -> Iterator[str]:
    """URL of a fresh database holding the Astana 2017 scenario and its demo users (both engines);
    TRUCE_BLOB_DIR points at a per-test copy of the blobs it references."""
    blobs = tmp_path / "blobs"
    monkeypatch.setenv("TRUCE_BLOB_DIR", str(blobs))
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_astana_template")
        shutil.copytree(astana_blobs, blobs)
        path = tmp_path / "truce.db"
        shutil.copyfile(template, path)
        try:
            yield f"sqlite:///{path}"
        finally:
            truce.db.dispose_all()
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_astana_template")
        shutil.copytree(astana_blobs, blobs)
        name = f"t_{uuid.uuid4().hex}"
        url = server.create_db(name, template=template)
        try:
            yield url
        finally:
            truce.db.dispose_all()
            server.drop_db(name)


@pytest.fixture(autouse=True)
def _forget_stored_clock() -> Iterator[None]:
    """A database opened by a test may keep a clock (a demo's): it runs the process as of its day while it is the
    last one opened (truce.times.use_stored_day); the next test starts on the real clock."""
    yield
    truce.times.use_stored_day(None)
