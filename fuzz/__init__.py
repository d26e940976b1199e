"""Fuzz harnesses for dicomkit's parsers (docs/reliability.md): ``python -m fuzz TARGET``.

Each target takes arbitrary bytes and asserts that only the documented dicomkit error escapes
and that the documented limits bound what is held. atheris drives them where it installs
(``nox -s fuzz``); tests/fuzz runs a short Hypothesis slice of the same targets in CI.
"""
