"""Units in the caller's scope, with the tree."""

from ninja import Field, Query, Router, Schema

from ctip.api.auth import ApiRequest, needs
from ctip.api.schemas import MAX_ID, PathId
from ctip.units.selectors import get_unit_for, units_visible_to

router = Router(tags=["units"])


class UnitOut(Schema):
    id: int
    name: str
    type: str
    parent_id: int | None
    path: str
    depth: int
    gso_code: str | None
    is_border: bool
    is_remote: bool
    is_far_flung: bool
    is_ethnic_minority: bool
    closed_on: str | None

    @staticmethod
    def resolve_type(obj: object) -> str:
        return obj.unit_type.code  # type: ignore[attr-defined]

    @staticmethod
    def resolve_closed_on(obj: object) -> str | None:
        closed = obj.closed_on  # type: ignore[attr-defined]
        return closed.isoformat() if closed else None


class UnitFilter(Schema):
    under: int | None = Field(None, ge=1, le=MAX_ID)
    include_closed: bool = False


@router.get("/units", response=list[UnitOut], auth=needs("unit.view"),
            summary="Units in scope (the whole tree below each of the caller's roles)")
def list_units(request: ApiRequest, filters: Query[UnitFilter]) -> object:
    units = units_visible_to(request.auth).order_by("path")
    if filters.under is not None:
        root = get_unit_for(request.auth, filters.under)
        units = units.filter(path__subtree=root.path)
    if not filters.include_closed:
        units = units.filter(closed_on__isnull=True)
    return units[:20_000]


@router.get("/units/{int:pk}", response=UnitOut, auth=needs("unit.view"))
def get_unit(request: ApiRequest, pk: PathId) -> object:
    return get_unit_for(request.auth, pk)
