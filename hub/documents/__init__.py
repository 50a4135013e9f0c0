"""Document sharing: checklist, requests, versions and review of a shipment's documents."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the documents API, pages, admin rule overrides, storage and the shipment panel."""
    from hub.documents.api import bp as api_bp
    from hub.documents.routes import bp as pages_bp
    from hub.documents.routes import documents_panel
    from hub.documents.storage import init_storage
    from hub.shipments.routes import register_panel
    from hub.templating import register_nav_item

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
    init_storage(app)
    app.add_template_global(documents_panel, "documents_panel")
    register_panel("documents/_panel.html", 30)
    register_nav_item("Document rules", "documents.rules_page", "admin")
