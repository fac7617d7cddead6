"""The strict base every config model derives from."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never be silently ignored); values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)
