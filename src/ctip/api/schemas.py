"""Shared pieces of the API's schemas: bounded ids, the closed input schema, the answer to an
entry sent again that its sender may no longer see."""

from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import ConfigDict

MAX_ID = 2**63 - 1  # the largest id any database holds; larger ones are refused, not a 500

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=2_147_483_647)]


class Input(Schema):
    """An input body: an unknown field is an error naming it, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class SentBefore(Schema):
    """The answer to an entry sent again (its ``uuid`` known) whose record has left the
    sender's scope since it was saved: it is kept, and it is not shown to her."""

    uuid: str
    saved: bool = Field(True, description="always true: the entry was saved when first sent")
    detail: str


def sent_before(key: object) -> dict[str, object]:
    return {"uuid": str(key), "saved": True,
            "detail": _("This entry was saved when it was first sent. Its record is no longer "
                        "in your area, so it is not shown here.")}
