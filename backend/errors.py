"""The error hierarchy every layer raises; the HTTP layer turns one into `{"error", "code", ...}`."""
from __future__ import annotations


class ApiError(Exception):
    """A failure the client caused or must know about, with its HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None,
                 headers: dict | None = None, **details):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict:
        return {"error": self.message, "code": self.code, **self.details}


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


class Conflict(ApiError):
    status, code = 409, "conflict"


class LengthRequired(ApiError):
    status, code = 411, "length_required"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int, **details):
        super().__init__(message, headers={"Retry-After": str(max(1, int(retry_after)))},
                         retry_after=max(1, int(retry_after)), **details)


class ServiceUnavailable(ApiError):
    status, code = 503, "unavailable"


class ReadTimeout(ApiError):
    """A read ran past the request's deadline and was interrupted (nothing was written)."""
    status, code = 503, "read_timeout"
