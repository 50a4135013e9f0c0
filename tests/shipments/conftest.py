"""Fixtures of the shipments tests: the real-server and Chromium fixtures of the milestones
area's browser tests."""

from tests.milestones.test_browser import browser, live, servers  # noqa: F401
