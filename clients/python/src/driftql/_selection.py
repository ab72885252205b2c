"""The selection keywords every analytic method shares, parsed once.

Python names in, the API's names out: ``stage_dataset="synth-support"`` becomes the run filter's
``stageDataset: ["synth-support"]`` in GraphQL and ``stageDataset=synth-support`` on the export
endpoint. Values are only normalised (one value or a list, enum case); the server checks them and
says what to change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

StrOrList = Union[str, Sequence[str]]

#: Run-filter fields: Python keyword -> API name.
RUN_FILTER_FIELDS: Dict[str, str] = {
    "lab": "lab",
    "dataset": "dataset",
    "model": "model",
    "algorithm": "algorithm",
    "stage_dataset": "stageDataset",
    "stage_kind": "stageKind",
    "key": "key",
    "dataset_version": "datasetVersion",
    "versions": "versions",
}

#: The other selection keywords: Python keyword -> API name.
SELECTION_FIELDS: Dict[str, str] = {
    "run_ids": "runIds",
    "topics": "topics",
    "stances": "stances",
    "confidence": "confidence",
}


def enum_value(value: str) -> str:
    """An enum value as the API spells it: ``"support"`` -> ``"SUPPORT"``, ``"type-ii"`` -> ``"TYPE_II"``."""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value.strip().upper().replace("-", "_").replace(" ", "_")


def as_list(name: str, value: Any, *, enum: bool = False) -> List[str]:
    """One value or an iterable of values, as a list of strings (numbers allowed, e.g. run ids)."""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        items: Iterable[Any] = [value]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = value
    else:
        raise TypeError(f"{name} takes a string or a list of strings, got {value!r}")
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (str, int)):
            raise TypeError(f"{name} takes strings, got {v!r}")
        out.append(enum_value(str(v)) if enum else str(v))
    return out


@dataclass
class Selection:
    """Which runs, topics and stances an analytic method reads, and at which confidence."""

    run_ids: Optional[List[str]] = None
    topics: Optional[List[str]] = None
    stances: Optional[List[str]] = None
    confidence: Optional[float] = None
    #: API name -> list of values (``versions`` is a single value).
    run_filter: Dict[str, Any] = field(default_factory=dict)

    def graphql(self) -> Dict[str, Any]:
        """The GraphQL arguments (variables), leaving out what was not given."""
        out: Dict[str, Any] = {}
        if self.run_ids is not None:
            out["runIds"] = self.run_ids
        if self.run_filter:
            out["runFilter"] = dict(self.run_filter)
        if self.topics is not None:
            out["topics"] = self.topics
        if self.stances is not None:
            out["stances"] = self.stances
        if self.confidence is not None:
            out["confidence"] = self.confidence
        return out

    def query_params(self) -> List[Tuple[str, str]]:
        """The export endpoint's query parameters: a list is the parameter repeated."""
        out: List[Tuple[str, str]] = []
        for name, values in (("runIds", self.run_ids), ("topics", self.topics), ("stances", self.stances)):
            out += [(name, v) for v in values or []]
        if self.confidence is not None:
            out.append(("confidence", repr(float(self.confidence))))
        for name, value in self.run_filter.items():
            out += [(name, v) for v in (value if isinstance(value, list) else [value])]
        return out


def parse_selection(
    kwargs: Dict[str, Any],
    *,
    where: str,
    stances: bool = True,
    only_run_filter: bool = False,
) -> Selection:
    """Reads the selection keywords out of ``kwargs``.

    Args:
        kwargs: the keyword arguments a method received (beyond its own).
        where: the method's name, for error messages.
        stances: whether the method takes ``stances``.
        only_run_filter: whether the method takes only run-filter fields (``runs``).

    Raises:
        TypeError: for keywords the method does not take, naming them.
    """
    allowed = dict(RUN_FILTER_FIELDS)
    if not only_run_filter:
        allowed.update(SELECTION_FIELDS)
        if not stances:
            del allowed["stances"]
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise TypeError(
            f"{where}() got unexpected keyword argument{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(repr(u) for u in unknown)}; it takes {', '.join(sorted(allowed))}"
        )
    sel = Selection()
    for name, value in kwargs.items():
        if value is None:
            continue
        if name == "run_ids":
            sel.run_ids = as_list(name, value)
        elif name == "topics":
            sel.topics = as_list(name, value)
        elif name == "stances":
            sel.stances = as_list(name, value, enum=True)
        elif name == "confidence":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"confidence takes a number, got {value!r}")
            sel.confidence = float(value)
        elif name == "versions":
            sel.run_filter["versions"] = enum_value(value)
        else:
            sel.run_filter[RUN_FILTER_FIELDS[name]] = as_list(name, value, enum=name == "stage_kind")
    return sel
