"""Typed application errors, mapped once to the HTTP contract in ``gather.api``.

Every error carries a stable ``code`` (what scripts branch on), a human ``message`` and,
where one input is at fault, the ``field`` that names it.
"""


class GatherError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return {"error": body}


class InvalidInput(GatherError):
    status = 400
    code = "invalid"


class Unauthorized(GatherError):
    status = 401
    code = "unauthorized"


class NotFound(GatherError):
    status = 404
    code = "not_found"


class Conflict(GatherError):
    status = 409
    code = "conflict"


class PayloadTooLarge(GatherError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(GatherError):
    status = 415
    code = "unsupported_media_type"


class ValidationFailed(GatherError):
    status = 422
    code = "validation_failed"


class RateLimited(GatherError):
    status = 429
    code = "rate_limited"
