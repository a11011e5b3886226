"""Errors a service raises; each message is safe and clear enough to show to the user."""


class ServiceError(Exception):
    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(ServiceError):
    """The input breaks a rule; `field` names the form field when there is one."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


class FileTooLarge(InvalidInput):
    """A file over the size limit (an HTTP route answers 413)."""


class FileTypeRefused(InvalidInput):
    """A file whose name or content is not an allowed type (an HTTP route answers 415)."""


class NotFound(ServiceError):
    """Missing, or not the caller's to see: both look the same from outside."""

    def __init__(self, message: str = "Not found."):
        super().__init__(message)


class Conflict(ServiceError):
    """A duplicate, or a change the current state refuses (e.g. replying to a closed ticket)."""


class Forbidden(Conflict):
    """The person may not do this (a role that may not assign, an admin action asked for by staff
    or a customer); an HTTP route answers 403."""


class SignInFailed(ServiceError):
    pass


class RateLimited(ServiceError):
    """Too much too fast; the message says how long to wait.

    `retry_after_seconds` (at least 1) is what an HTTP route sends as Retry-After with a 429.
    """

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = max(1, int(retry_after_seconds))


class TooManyAttempts(RateLimited):
    """Sign-ins from this address are throttled after failures (services/auth.py)."""
