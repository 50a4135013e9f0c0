"""`flask --app wsgi hub ...` as operators and scripts run it: the venv's python, no PATH help."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def clean_env(tmp_path: Path, database: Path) -> dict[str, str]:
    """A clean environment: PATH without the venv, the hub's settings pointing into tmp_path."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "HUB_ENV": "development",
        "HUB_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{database}",
    }


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated by `flask db upgrade` once, with one shipper (id 1)."""
    tmp = tmp_path_factory.mktemp("cli-template")
    env = clean_env(tmp, tmp / "template.sqlite3")
    upgraded = run(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert last_line(create_org(env).stdout) == "1"
    return tmp / "template.sqlite3"


@pytest.fixture
def cli_env(tmp_path: Path, migrated_database: Path) -> dict[str, str]:
    """The clean environment on a private copy of the migrated database."""
    database = tmp_path / "cli.sqlite3"
    shutil.copyfile(migrated_database, database)
    return clean_env(tmp_path, database)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def create_org(env: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    return run(env, "hub", "create-org", "--name", "Northwind Imports", "--kind", "shipper", "--country", "US",
               *extra)


def test_create_org_and_create_user_print_the_new_id_alone_on_the_last_line(cli_env):
    org = create_org(cli_env, "--time-zone", "America/Chicago")
    assert org.returncode == 0, org.stderr
    org_id = last_line(org.stdout)
    assert org_id.isdigit()

    user = run(cli_env, "hub", "create-user", "--email", "Ana@Northwind.example", "--password", "long-password-1",
               "--name", "Ana", "--org-id", org_id, "--role", "coordinator", "--locale", "es",
               "--time-zone", "Europe/Madrid")
    assert user.returncode == 0, user.stderr
    user_id = last_line(user.stdout)
    assert user_id.isdigit()

    second = create_org(cli_env)
    assert int(last_line(second.stdout)) == int(org_id) + 1

    # The account works: the password exchanges for a token through the API.
    from tests.conftest import make_app

    app = make_app(cli_env["DATABASE_URL"], Path(cli_env["HOME"]) / "probe")
    client = app.test_client()
    response = client.post("/api/v1/auth/token", json={"email": "ana@northwind.example",
                                                       "password": "long-password-1"})
    assert response.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {response.json['token']}"}).json
    assert me["id"] == int(user_id) and me["locale"] == "es" and me["time_zone"] == "Europe/Madrid"
    assert me["organization"]["id"] == int(org_id)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["create-org", "--name", "X", "--kind", "shipper", "--country", "XX"], "country"),
        (["create-org", "--name", "X", "--kind", "bank", "--country", "DE"], "kind"),
        (["create-org", "--name", "X", "--kind", "broker", "--country", "DE", "--time-zone", "Mars/Base"],
         "time_zone"),
        (["create-user", "--email", "a@b.example", "--password", "long-password-1", "--name", "A",
          "--org-id", "999", "--role", "partner"], "organization"),
        (["create-user", "--email", "not-an-email", "--password", "long-password-1", "--name", "A",
          "--org-id", "1", "--role", "partner"], "email"),
        (["create-user", "--email", "a@b.example", "--password", "short", "--name", "A",
          "--org-id", "1", "--role", "partner"], "password"),
    ],
)
def test_errors_go_to_stderr_with_a_non_zero_exit(cli_env, args, named):
    result = run(cli_env, "hub", *args)
    assert result.returncode != 0
    assert named in result.stderr
    assert not result.stdout.strip() or not last_line(result.stdout).isdigit()


def test_a_duplicate_email_is_refused(cli_env):
    org_id = last_line(create_org(cli_env).stdout)
    args = ["hub", "create-user", "--email", "a@b.example", "--password", "long-password-1", "--name", "A",
            "--org-id", org_id, "--role", "coordinator"]
    assert run(cli_env, *args).returncode == 0
    again = run(cli_env, *args[:3], "A@B.EXAMPLE", *args[4:])
    assert again.returncode != 0 and "already" in again.stderr


def test_seed_demo_prints_the_logins_once(cli_env):
    first = run(cli_env, "hub", "seed-demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    assert "ana@northwind.example" in first.stdout and "clearance-demo-2026" in first.stdout
    assert "li.wei@szharbour.example" in first.stdout
    again = run(cli_env, "hub", "seed-demo", "--if-empty")
    assert again.returncode == 0 and "not seeded" in again.stderr
    assert "ana@northwind.example" in again.stdout  # the logins are printed every time

    from tests.conftest import make_app

    app = make_app(cli_env["DATABASE_URL"], Path(cli_env["HOME"]) / "probe")
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": "ana@northwind.example",
                                                    "password": "clearance-demo-2026"}).json["token"]
    listed = client.get("/api/v1/shipments", headers={"Authorization": f"Bearer {token}"}).json
    from hub.demo import HISTORY_COUNT

    # Fifteen under way and the released history the dashboard draws; the template's own shipper has none.
    assert listed["total"] == 15 + HISTORY_COUNT
    assert {s["transport_mode"] for s in listed["items"]} == {"sea", "air", "road", "rail", "courier"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local test server)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.live
def test_serve_answers_http_and_socketio_then_stops_on_sigterm(cli_env):
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while time.monotonic() < deadline:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/login")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.2)
        assert status == 200 and "Sign in" in body
        api_status, api_body = _get(f"http://127.0.0.1:{port}/api/v1/shipments")
        assert api_status == 401 and "unauthorized" in api_body
        polling_status, handshake = _get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling")
        assert polling_status == 200 and '"sid"' in handshake
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_serve_raises_the_open_files_limit_to_fit_its_connections(capsys) -> None:
    """Each socket is a descriptor: `hub serve` raises a low soft limit to what
    SERVE_WORKER_CONNECTIONS needs, and warns when the hard limit is too low."""
    import resource

    from hub.cli import raise_open_files_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
        assert raise_open_files_limit(1000) == 1000
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 1000
        assert capsys.readouterr().err == ""
        if hard != resource.RLIM_INFINITY:
            assert raise_open_files_limit(hard + 1) == hard
            assert "SERVE_WORKER_CONNECTIONS" in capsys.readouterr().err
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
