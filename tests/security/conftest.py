"""Fixtures the security tests share with the thread tests."""

from tests.threads.conftest import two_servers  # noqa: F401  (two servers sharing Redis)
