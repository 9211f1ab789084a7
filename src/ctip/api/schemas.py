"""Shared pieces of the API's schemas: bounded ids, the closed input schema."""

from typing import Annotated

from ninja import Field, Path, Schema
from pydantic import ConfigDict

MAX_ID = 2**63 - 1  # the largest id any database holds; larger ones are refused, not a 500

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]


class Input(Schema):
    """An input body: an unknown field is an error naming it, not silently dropped."""

    model_config = ConfigDict(extra="forbid")
