"""Shipment threads: messages, read state and the live Socket.IO channel."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register the thread's routes, socket handlers and page panel."""
