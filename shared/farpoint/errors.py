"""One error tree for farpoint.

Every error a user can cause is a :class:`FarpointError` with a one-line message and a CLI exit
code. The services use :attr:`FarpointError.retryable` to decide a message's fate: a retryable
error (a store or broker hiccup) leaves the offset uncommitted so the message is redelivered; a
non-retryable one (bad input, a "poison" message) goes to the dead-letter topic.
"""

from __future__ import annotations


class FarpointError(Exception):
    """Base of every error farpoint raises on purpose."""

    exit_code: int = 1
    retryable: bool = False
    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(FarpointError):
    """The user's input is wrong: bad file, bad argument, bad vectors. Never retried."""

    exit_code = 2
    http_status = 422


class NotFoundError(FarpointError):
    """A referenced object (media, model, job, key) does not exist."""

    exit_code = 3
    http_status = 404


class MissingInputError(NotFoundError, InputError):
    """An input the user named (a video, a folder) does not exist: "not found" first (exit code
    3, HTTP 404, as the README promises for every command), and an input error too."""


class DecodeError(InputError):
    """A media file could not be decoded at all (not a video, empty, corrupt header)."""


class ConfigError(FarpointError):
    """The installation or settings are wrong (missing weights, bad endpoint)."""

    exit_code = 4
    http_status = 500


class TransientError(FarpointError):
    """A dependency failed in a way that may heal (network, broker, object store): retry."""

    exit_code = 5
    retryable = True
    http_status = 503
