"""Clearance Hub: one place per shipment for customs clearance with overseas partners."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent


def _socketio_async_mode() -> str:
    """gevent inside the gevent-patched server process, threads everywhere else (CLI, tests)."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            return "gevent"
    except ImportError:
        pass
    return "threading"


def create_app(config: dict[str, Any] | Config | None = None) -> Flask:
    """Build the application; `config` overrides settings (a dict) or replaces them (a Config)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_path=os.environ.get("HUB_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    overrides = config if isinstance(config, dict) else {}
    settings = config if isinstance(config, Config) else load_config(overrides.get("HUB_ENV"))
    for key, value in overrides.items():
        setattr(settings, key, value)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings.finalize(Path(app.instance_path))
    app.config.update(settings.as_dict())
    app.config["HUB_ENV"] = settings.ENV_NAME

    # An id in a path beyond what the database stores is a missing thing (404), not an error.
    app.url_map.converters["int"] = BoundedIntegerConverter
    _init_extensions(app)
    _register_blueprints(app)

    from hub.errors import register_error_handlers
    from hub.headers import init_security_headers
    from hub.static_files import init_static_files
    from hub.templating import init_templating

    register_error_handlers(app)
    init_templating(app)
    init_security_headers(app)
    init_static_files(app)

    @app.route("/")
    def index() -> Any:
        if current_user.is_authenticated:
            return redirect(url_for("shipments.list_page"))
        return redirect(url_for("accounts.login"))

    return app


class BoundedIntegerConverter(IntegerConverter):
    """`<int:...>` where a number beyond the largest id the database stores (MAX_ID) names
    nothing: it becomes 0, which no row has, so the route answers its usual 404. (A `max` on
    the converter would make Werkzeug answer 405 when another method's rule shares the path.)"""

    def to_python(self, value: str) -> int:
        """The id, or 0 when it is beyond MAX_ID."""
        from hub.payload import MAX_ID

        number = int(super().to_python(value))
        return number if number <= MAX_ID else 0


def _init_extensions(app: Flask) -> None:
    from hub.accounts.security import init_security
    from hub.database import configure_engine, install_request_intent
    from hub.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio
    from hub.i18n import compile_catalogues, select_locale, select_time_zone
    from hub.realtime import SocketSessionInterface, client_manager
    from hub.shipment_tx import init_app as init_shipment_tx

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_S"])
    install_request_intent(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    compile_catalogues(ROOT / "hub" / "translations")
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_time_zone)
    init_shipment_tx(app)
    app.session_interface = SocketSessionInterface()
    socketio.init_app(
        app,
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE") or _socketio_async_mode(),
        # Each app its own manager (Flask-SocketIO would keep an earlier app's in its options).
        client_manager=client_manager(app),
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        cors_allowed_origins=[app.config["PUBLIC_BASE_URL"]] + list(app.config.get("SOCKETIO_EXTRA_ORIGINS", [])),
        max_http_buffer_size=1_000_000,
        ping_interval=25,
        ping_timeout=20,
    )
    init_security(app)

    import hub.models  # noqa: F401  (every model is known to Alembic and the ORM)


def _register_blueprints(app: Flask) -> None:
    from hub.accounts.api import bp as accounts_api
    from hub.accounts.routes import bp as accounts_pages
    from hub.api_docs import bp as api_docs
    from hub.cli import hub_cli
    from hub.shipments.api import bp as shipments_api
    from hub.shipments.routes import bp as shipments_pages
    from hub.threads import register as register_threads

    for blueprint in (accounts_pages, accounts_api, shipments_pages, shipments_api, api_docs):
        app.register_blueprint(blueprint)
    register_threads(app)
    app.cli.add_command(hub_cli)
    for area in ("milestones", "notifications", "documents", "inbound", "countries", "risks", "handovers", "dashboard",
                 "operations"):
        module = __import__(f"hub.{area}", fromlist=["register"])
        register = getattr(module, "register", None)
        if register is not None:
            register(app)
