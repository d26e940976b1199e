"""This repository's test policy, shared by tests/ and plugins/*/tests (importable because
pyproject.toml sets pytest's ``pythonpath`` to the repository root): CI-aware skips and the
Orthanc fixtures. Not shipped: users of dicomkit never need them."""
