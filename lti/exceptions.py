"""Refusals a launch can meet; each is shown as a page that says what went wrong, never a 500."""


class LaunchRefused(Exception):
    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status
