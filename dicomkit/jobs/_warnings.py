"""What a job says when it is asked for more than it can do: the warnings of dicomkit.jobs.

A job that can only do part of what it was asked still runs (refusing would stop a resume that
is otherwise right), but the caller must not believe the rest was done. The wording lives here
once: the library issues it as a warning, and the command line shows that same warning as its
one ``dicomkit: warning:`` line (``dicomkit.cli`` formats every warning so), so the two never
drift apart.
"""

from __future__ import annotations

import warnings

__all__ = ["VerifyWarning", "warn_sizes_only"]


class VerifyWarning(UserWarning):
    """``verify=True`` was given to a download job that cannot verify digests.

    Only a job created with ``durable=True`` records each file's SHA-256, so on any other job
    ``verify`` compares sizes only: a file changed in place, keeping its size, goes unseen.
    Issued once per ``run``/``arun`` call, before anything is read or requested. Silence it
    with a warnings filter for this category where sizes are enough.
    """


def sizes_only_text(job_id: str) -> str:
    """The warning's words: which job, what it lacks, what is checked instead."""
    return (
        f"job {job_id} was created without durable=True (--durable), so its journal holds"
        " no SHA-256 of the files: verify checks their sizes only"
    )


def warn_sizes_only(job_id: str, *, stacklevel: int = 3) -> None:
    """Issue :class:`VerifyWarning` for ``job_id``; ``stacklevel`` 3 points at the caller of
    the ``run``/``arun`` that calls this function, where ``verify=True`` was written."""
    warnings.warn(sizes_only_text(job_id), VerifyWarning, stacklevel=stacklevel)
