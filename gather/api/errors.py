"""The one place where errors become the contract's ``{"error": {...}}`` responses."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError

from gather.core.errors import GatherError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, field: str | None = None):
    body = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return JsonResponse({"error": body}, status=status)


def _loc_to_field(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "header")]
    return ".".join(parts) or None


def install(api) -> None:
    @api.exception_handler(GatherError)
    def gather_error(request, exc: GatherError):
        response = JsonResponse(exc.as_dict(), status=exc.status)
        if retry_after := getattr(exc, "retry_after", None):
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(AuthenticationError)
    def auth_error(request, exc):
        return error_response(
            401, "unauthorized", "A valid API key is required: 'Authorization: Token <key>'."
        )

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        first = exc.errors[0] if exc.errors else {}
        field = _loc_to_field(first.get("loc", ()))
        message = first.get("msg", "Invalid input.")
        if field:
            message = f"{field}: {message}"
        return error_response(422, "validation_failed", message, field)

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        if isinstance(exc.__cause__, GatherError):
            # Ninja wraps the body parser's error ("Cannot parse request body"); ours
            # says what is wrong with the JSON.
            return JsonResponse(exc.__cause__.as_dict(), status=exc.__cause__.status)
        code = {400: "invalid", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return error_response(exc.status_code, code, str(exc))

    @api.exception_handler(RequestDataTooBig)
    def too_big(request, exc):
        return error_response(413, "too_large", "The request body is too large.")

    @api.exception_handler(Exception)
    def unexpected(request, exc):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", "Something went wrong on our side; it is logged.")
