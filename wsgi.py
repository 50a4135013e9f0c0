"""WSGI entry point: `app = create_app()`."""

from hub import create_app
from hub.serving import settle_garbage_collector

app = create_app()
settle_garbage_collector()
