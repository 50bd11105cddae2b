"""Errors a user can act on: the command line prints them as one line and exits non-zero."""


class InputError(ValueError):
    """Bad input file, setting or argument. The message names it and says what was expected."""
