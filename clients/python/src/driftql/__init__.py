"""Python client for driftql: value-drift analytics as pandas DataFrames.

import driftql
with driftql.Client("http://localhost:4000") as dq:
    summary = dq.attribution_summary(group_by="ALGORITHM", stances="support")
"""

from .client import EXPORT_FORMATS, EXPORT_TABLES, RUN_COLUMNS, Client, EffectDecomposition
from .errors import (
    BadUserInput,
    Conflict,
    ConnectionFailed,
    DriftqlError,
    Forbidden,
    IngestFailed,
    InternalServerError,
    NotFound,
    PayloadTooLarge,
    QueryTimeout,
    ServiceUnavailable,
    TooManyRequests,
    Unauthenticated,
)

from . import errors as _errors

__version__ = "0.1.0"

#: The client and every exception class (``error_for``, a helper, stays in ``driftql.errors``).
__all__ = ["Client", "EffectDecomposition", "RUN_COLUMNS", "EXPORT_TABLES", "EXPORT_FORMATS"]
__all__ += [name for name in _errors.__all__ if name != "error_for"]
