"""Shared fixtures: database connections found through the environment."""

from __future__ import annotations

import os

import pytest

PG_DSN = os.environ.get("WHERELANG_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_DSN = os.environ.get("WHERELANG_MYSQL_DSN", "mysql://root@127.0.0.1:3306/test")
REQUIRE_SERVICES = os.environ.get("WHERELANG_REQUIRE_SERVICES") == "1"


def unavailable(service: str, reason: str) -> None:
    """Skip a test whose server is unreachable, or fail it when services are required."""
    message = f"{service} unreachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (WHERELANG_REQUIRE_SERVICES=1)")
    pytest.skip(message)
