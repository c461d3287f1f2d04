"""Base classes shared by every kind."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from schema.types import Name

LANGUAGE_VERSION = 1


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must never be silently ignored.

    Numbers are finite: ``nan`` or ``inf`` would compile to JSON that is not JSON.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Document(Strict):
    """A file of the language: ``version``, ``kind`` and ``name`` come first."""

    version: int = Field(description=f"language version; this release reads {LANGUAGE_VERSION}")
    name: Name = Field(description="the file's name, unique within its kind: others refer to it by this name")  # fmt: skip

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value != LANGUAGE_VERSION:
            raise PydanticCustomError(
                "so_version",
                "expected version {expected}, found {found}",
                {"expected": LANGUAGE_VERSION, "found": value},
            )
        return value
