"""Public test tooling for plugin authors and users: the transport contract suite
(``contract``), TLS fixtures (``tls``), ``exception_mapping``, test data (``data``) and the
Hypothesis profiles (``profiles``).

The reference DICOMweb server, its pytest fixtures and the Orthanc runner are the
dicomkit-server distribution (``pip install "dicomkit[server]"``, import ``dicomkit_server``);
``server``, ``orthanc`` and ``pytest_plugin`` here are deprecated aliases of it. Submodules import
their heavy dependencies (hypothesis, pytest) only when used.
"""

__all__: list[str] = []
