"""The leaf fields of the program schema (pos.rules.program.ProgramDoc), by path.

A path names a field as a program document spells it (aliases: `schema`), with
`[]` for "every element of a list of models": `tiers.levels[].pay_pct`. Nested
models, optional models and lists of models are walked into; everything else
(numbers, strings, literals, lists and dicts of plain values) is a leaf.
"""
from __future__ import annotations

import types
import typing

from pydantic import BaseModel

from pos.rules.program import ProgramDoc


def _model_of(annotation) -> tuple[type[BaseModel], str] | None:
    """(the model inside `annotation`, "[]" if through a list) — None for a plain value."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _model_of(args[0]) if len(args) == 1 else None
    if origin is list:
        inner = _model_of(typing.get_args(annotation)[0])
        return (inner[0], "[]" + inner[1]) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    return None


def leaf_fields(model: type[BaseModel] = ProgramDoc, prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, info in model.model_fields.items():
        key = info.alias or name
        inner = _model_of(info.annotation)
        if inner is None:
            out.append(prefix + key)
        else:
            out += leaf_fields(inner[0], f"{prefix}{key}{inner[1]}.")
    return out


def attribute(path: str) -> str:
    """The attribute a reader writes for a path's leaf (`schema` is `schema_version` in Python)."""
    leaf = path.rsplit(".", 1)[-1]
    return {"schema": "schema_version"}.get(leaf, leaf)


LEAVES = leaf_fields()

# Settings another change is building right now: both guards skip them, saying so, until their
# rows in test_settings_effect.py are real (an entry here for a field not in the schema is stale).
PENDING: dict[str, str] = {
    # "issuance.pickup": "the pickup voucher of a collected parcel (issue 18): being built",
}
