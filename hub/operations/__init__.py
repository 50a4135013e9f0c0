"""Operations: `/healthz`, `/readyz`, Prometheus `/metrics`, structured logs with a request id
per unit of work, and the start-up check that the database matches the migrations."""

from __future__ import annotations

from flask import Blueprint, Flask


def register(app: Flask) -> None:
    """Logs, request hooks, the health and metrics routes, and the signal subscribers."""
    from hub.extensions import csrf, limiter
    from hub.operations.health import healthz_view, readyz_view
    from hub.operations.logs import configure_logging, install_request_logging
    from hub.operations.metrics import install_request_metrics, metrics_view
    from hub.operations.subscribers import connect_subscribers

    configure_logging(app.config["HUB_LOG_FORMAT"])
    install_request_logging(app)
    install_request_metrics(app)
    bp = Blueprint("operations", __name__)
    bp.add_url_rule("/healthz", "healthz", healthz_view, methods=["GET"])
    bp.add_url_rule("/readyz", "readyz", readyz_view, methods=["GET"])
    bp.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    csrf.exempt(bp)
    limiter.exempt(bp)
    app.register_blueprint(bp)
    connect_subscribers()
