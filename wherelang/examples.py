"""Example schemas for other APIs whose list endpoints could take a where filter.

Both are derived from pydantic models with :meth:`Schema.from_model`, as an
application would declare its own entities:

- :data:`C1_FUNCTION_INVOCATION`: ConductorOne's ``FunctionInvocation`` (from the
  ``FunctionsInvocationService.List`` OpenAPI schema): camelCase names, string IDs, a
  status enum, free-form ``input`` and ``output`` objects.
- :data:`NYCKEL_FUNCTION_OUTPUT`: the ``FunctionOutput`` Nyckel's ``InvokeFunction``
  returns: the predicted label, its confidence, and the confidence of every label.

>>> from wherelang import parse
>>> from wherelang.examples import C1_FUNCTION_INVOCATION, NYCKEL_FUNCTION_OUTPUT
>>> text = "status = 'FUNCTION_INVOCATION_STATUS_ERROR' AND createdAt >= '2025-01-07'"
>>> str(parse(text, schema=C1_FUNCTION_INVOCATION)) == text
True
>>> e = parse("confidence >= 0.8 AND labelName IN ('cat', 'dog')", extended=True,
...           schema=NYCKEL_FUNCTION_OUTPUT)
>>> e.items[0].left.type.kind.value
'float'
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from .schema import Schema

__all__ = [
    "C1FunctionInvocation",
    "C1InvocationStatus",
    "NyckelFunctionOutput",
    "NyckelLabelConfidence",
    "C1_FUNCTION_INVOCATION",
    "NYCKEL_FUNCTION_OUTPUT",
]


class C1InvocationStatus(str, Enum):
    """``c1.api.functions.v1.FunctionInvocation.status``."""

    UNSPECIFIED = "FUNCTION_INVOCATION_STATUS_UNSPECIFIED"
    PENDING = "FUNCTION_INVOCATION_STATUS_PENDING"
    RUNNING = "FUNCTION_INVOCATION_STATUS_RUNNING"
    SUCCESS = "FUNCTION_INVOCATION_STATUS_SUCCESS"
    ERROR = "FUNCTION_INVOCATION_STATUS_ERROR"


class C1FunctionInvocation(BaseModel):
    """A ConductorOne function invocation."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str
    function_id: str
    commit_id: Optional[str] = None
    status: C1InvocationStatus = C1InvocationStatus.UNSPECIFIED
    created_at: Optional[datetime] = None
    updated_at: Optional[datetime] = None
    error: Optional[str] = None
    input: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)


class NyckelLabelConfidence(BaseModel):
    """One label's confidence in a Nyckel function output."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    label_name: str
    label_id: Optional[str] = None
    confidence: float


class NyckelFunctionOutput(BaseModel):
    """What Nyckel's ``POST /v1/functions/{functionId}/invoke`` returns."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    label_name: str
    label_id: Optional[str] = None
    confidence: float
    label_confidences: Optional[list[NyckelLabelConfidence]] = None


#: The C1 invocation: ``id``, ``functionId`` and ``commitId`` are opaque strings (C1 IDs
#: are not UUIDs), ``status`` takes only its enum's values, ``input`` and ``output`` are
#: maps of json values (``input.user IS NOT NULL``, ``output ? 'result'``).
C1_FUNCTION_INVOCATION = Schema.from_model(
    C1FunctionInvocation, name="FunctionInvocation", id="id", always=["functionId"]
)

#: The Nyckel output: ``labelConfidences`` is an array of json objects.
NYCKEL_FUNCTION_OUTPUT = Schema.from_model(NyckelFunctionOutput, name="FunctionOutput")
