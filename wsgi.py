"""WSGI entry point: `app = create_app()`."""

from hub import create_app
from hub.serving import forget_dead_processes_metrics, settle_garbage_collector

app = create_app()
forget_dead_processes_metrics()
settle_garbage_collector()
