"""WSGI entry point: `app = create_app()`."""

from hub import create_app

app = create_app()
