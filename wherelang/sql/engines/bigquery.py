"""BigQuery: the portable subset plus regular expressions."""

from __future__ import annotations


from .generic import Regexp


class BigQuery(Regexp):
    dialects = ("bigquery",)
    title = "BigQuery"
    like_escape = False  # backslash escapes by default; no ESCAPE clause
