"""The commands the main wheel registers in the ``dicomkit.commands`` entry-point group.

Each module defines one command object (``help``, ``configure(parser)``, ``run(args)``, and
``connects = True`` for the shared server options). Module level imports only argparse and
small helpers: ``dicomkit --help`` imports every command, so the client, pydicom and the jobs
machinery load inside ``run``.
"""
