"""The coordinators' morning view: counts, clearance-time and response-time figures, charts."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the dashboard pages and its top-bar link."""
