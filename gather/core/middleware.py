"""Requests whose path no handler can serve safely, refused before any handler runs."""

from django.http import HttpResponseBadRequest, JsonResponse

from .errors import InvalidInput


class RefuseNulInPath:
    """A path holding NUL (`%00`) is answered 400 here, for the API in the contract's error
    shape. No ID, slug or record key can contain NUL (PostgreSQL text cannot hold it, and
    writes refuse it), so no lookup needs to run; on PostgreSQL it would fail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info:
            error = InvalidInput("The URL path cannot contain the NUL character (%00).")
            if request.path_info.startswith("/api/"):
                return JsonResponse(error.as_dict(), status=400)
            return HttpResponseBadRequest(error.message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
