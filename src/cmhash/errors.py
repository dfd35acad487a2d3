"""Exceptions for mistakes in a user's input.

Every error that a user can cause with a file, a key, a shape or an option is raised as an
:class:`InputError` (a ``ValueError``) or :class:`MissingFileError` (also a
``FileNotFoundError``), with one line that names the file, key or shape; a feature used
without its optional dependencies raises :class:`MissingExtraError` (also an ``ImportError``).
The command line prints that line and exits with status 2; anything else is a bug and keeps its
traceback.
"""


class InputError(ValueError):
    """A user's input is wrong: the message says which file, key, shape or value."""


class MissingFileError(InputError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class NotFittedError(InputError, AttributeError):
    """A method was asked to encode before ``fit`` was called."""


class MissingExtraError(InputError, ImportError):
    """A feature needs an optional dependency that is not installed; the message names the
    extra that installs it (``pip install 'cmhash[train]'``)."""
