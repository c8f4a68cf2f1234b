"""Request and response schemas shared by the API routers."""

from typing import Any

from ninja import Schema
from pydantic import BaseModel, ConfigDict, Field


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorBody


class FieldOut(Schema):
    name: str
    type: str


class ModelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., examples=["Orders"])
    type: str = Field("custom", examples=["custom"])
    id_field: str = Field("id", examples=["id"])


class ModelPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    id_field: str | None = None
    fields: dict[str, str] | None = Field(
        None, description='Set field types by name, e.g. {"amount": "number"}.'
    )
    links: dict[str, Any] | None = Field(
        None,
        description='Link fields to other models of the team by field, e.g. {"account_id":'
        ' {"model": "account", "name": "account"}}; null removes a link.',
        examples=[{"account_id": {"model": "account"}}],
    )
    rollups: dict[str, Any] | None = Field(
        None,
        description='Aggregates over linking records by name, e.g. {"revenue": {"model":'
        ' "orders", "link": "account", "fn": "sum", "field": "amount"}}; null removes one.',
    )


class RollupOut(Schema):
    name: str = Field(..., examples=["revenue"])
    model: str = Field(..., description="The Model ID of the records it aggregates.")
    link: str = Field(..., description="That model's link to this one.", examples=["account"])
    fn: str = Field(..., examples=["sum"])
    field: str | None = Field(None, examples=["amount"])


class LinkOut(Schema):
    field: str = Field(..., examples=["account_id"])
    model: str = Field(..., description="The linked model's Model ID.")
    name: str = Field(..., examples=["account"])


class ModelOut(Schema):
    id: str = Field(..., examples=["mdl_3k9x0c2v8b7n6m5l4k3j"])
    name: str
    slug: str
    type: str
    id_field: str
    fields: list[FieldOut]
    links: list[LinkOut]
    rollups: list[RollupOut]
    record_count: int


class ModelList(Schema):
    data: list[ModelOut]


class RecordOut(BaseModel):
    # A plain pydantic model: ninja's Schema reads attributes through a getter that
    # drops extra keys, and joined objects (e.g. "stripe_charge") are extra keys.
    model_config = ConfigDict(extra="allow")
    id: str = Field(..., examples=["1234"])
    data: dict[str, Any] = Field(
        ..., examples=[{"id": "1234", "amount": "75", "stripe_charge_id": "ch_4567"}]
    )
    created_at: str
    updated_at: str


class RecordPage(Schema):
    data: list[RecordOut]
    next_cursor: str | None
    total: int | None = None


class RelatedOut(Schema):
    model: str = Field(..., description="The linking model's Model ID.")
    model_name: str = Field(..., examples=["Orders"])
    link: str = Field(..., description="The name of that model's link.", examples=["account"])
    field: str = Field(..., description="Its field holding this record's ID.")
    total: int = Field(..., description="How many of its records link to this one.")
    records: list[RecordOut] = Field(..., description="The newest 10 of them, newest first.")


class RelatedList(Schema):
    data: list[RelatedOut]


class BatchItemOut(Schema):
    index: int = Field(..., description="Position of the item in the request.")
    status: int = Field(..., description="201 created, 200 merged, 4xx not stored.")
    id: str | None = Field(None, description="The record's ID when the item was stored.")
    error: ErrorBody | None = None


class BatchOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "created": 1,
                "updated": 1,
                "failed": 1,
                "results": [
                    {"index": 0, "status": 201, "id": "1234"},
                    {
                        "index": 1,
                        "status": 400,
                        "error": {
                            "code": "id_field_missing",
                            "message": "The record has no 'id' field, this model's ID field.",
                            "field": "id",
                        },
                    },
                    {"index": 2, "status": 200, "id": "1234"},
                ],
            }
        }
    )
    created: int
    updated: int
    failed: int
    results: list[BatchItemOut]


ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut}


class ChangeSource(Schema):
    kind: str = Field(..., examples=["api_key"], description="api_key, user, integration, system")
    id: str = Field(..., description="The API key's prefix, the user's email, the task…")


class ChangeOut(Schema):
    id: str = Field(..., examples=["chg_0000000000000042"])
    type: str = Field(..., examples=["record.updated"])
    model: str = Field(..., description="The model's Model ID.")
    record: str | None = Field(..., description="The record's ID (null for model.deleted).")
    changed: dict[str, Any] = Field(..., examples=[{"status": {"from": "trial", "to": "paid"}}])
    source: ChangeSource
    at: str


class ChangeHistory(Schema):
    data: list[ChangeOut]
    next_cursor: str | None


class ChangeFeed(Schema):
    data: list[ChangeOut]
    next_after: str
