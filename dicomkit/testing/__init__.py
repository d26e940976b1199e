"""Public test tooling: the transport contract suite, the reference DICOMweb server, fixtures.

Submodules import their heavy dependencies (aiohttp, hypothesis, pytest) only when used.
"""

__all__: list[str] = []
