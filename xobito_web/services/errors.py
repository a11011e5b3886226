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


class NotFound(ServiceError):
    """Missing, or not the caller's to see: both look the same from outside."""

    def __init__(self, message: str = "Not found."):
        super().__init__(message)


class Conflict(ServiceError):
    """A duplicate, or a change the current state refuses (e.g. replying to a closed ticket)."""


class SignInFailed(ServiceError):
    pass


class TooManyAttempts(ServiceError):
    pass
