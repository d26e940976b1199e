"""Implementation of :mod:`dicomkit.auth`; import from there, not from here."""

__all__: list[str] = []
