"""Request checks for everything under /api/, before any view or parser sees the body."""

from gather.api.errors import error_response

MULTIPART = "multipart/form-data"


class ApiMediaTypeMiddleware:
    """``multipart/form-data`` is refused under /api/ (415): the API takes no file uploads,
    and Django would otherwise parse (and spool) the parts before any endpoint could say
    so. JSON and form-encoded bodies are what the endpoints read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/api/"):
            kind = request.META.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
            if kind == MULTIPART:
                return error_response(
                    415,
                    "unsupported_media_type",
                    "multipart/form-data is not accepted (the API takes no file uploads):"
                    " send JSON (Content-Type: application/json) or form-encoded fields"
                    " (curl -d, not -F).",
                )
        return self.get_response(request)
