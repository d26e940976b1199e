"""The parts of a download's answers, each streamed into its file as it arrives.

A WADO-RS answer hands each part to a sink made when the part starts (the client's
``retrieve_series_to``). A file is named by the UIDs in its own bytes, which sit in its first
few hundred: a :class:`PartSink` holds the part's first HEAD_BYTES, reads the UIDs there
(validated, so a server cannot steer a write outside the output folder), asks the job whether
it takes that instance, and then writes straight to a temporary file in the target folder,
piece by piece. So a download holds at most HEAD_BYTES of each part, whatever its size (a
whole-slide image of gigabytes included), and no part is ever copied into one ``bytes``.

Only a part whose first bytes this scanner cannot walk (big-endian, deflated: rare) is held
whole, so that pydicom can read its UIDs once it has ended.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dicomkit.core.errors import ProtocolError
from dicomkit.files.uid_scan import HEAD_BYTES, scan_uids
from dicomkit.jobs._files import instance_uids
from dicomkit.jobs._staging import StagedFile, StagedFiles

__all__ = ["Choice", "PartSink", "Receiver", "Taken"]

Uids = tuple[str, str, str]
Choice = tuple[int | None, int]
"""What the job does with a part it takes: its journal item (None: not journaled yet) and the
key its bytes are counted under."""
Taken = tuple[Uids, StagedFile, Choice]
"""A part complete and taken: its UIDs, its temporary file (closed by the job) and choice."""


class PartSink:
    """One part of an answer on its way to its temporary file (see the module).

    ``choose(uids)`` is the job's decision, asked once the UIDs are known: a :data:`Choice`,
    or None to let the part go by unwritten. ``expected`` (an answer for one instance) stands
    in for UIDs the scanner cannot read, as for a part held whole before.
    """

    def __init__(
        self,
        files: StagedFiles,
        headers: Any,
        expected: Uids | None,
        choose: Callable[[Uids], Choice | None],
    ) -> None:
        self.headers = headers
        self.size = 0
        self.uids: Uids | None = None
        self.choice: Choice | None = None
        self.file: StagedFile | None = None
        self._files = files
        self._expected = expected
        self._choose = choose
        self._head = bytearray()
        self._decided = False
        self._whole = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """The next piece of the part's body (a DiskError removes the file)."""
        self.size += len(data)
        if self.file is not None:
            self.file.write(data)
        elif self._decided:
            return  # a part the job does not take
        elif self._head or len(data) < HEAD_BYTES or self._whole:
            self._head += data
            if len(self._head) >= HEAD_BYTES and not self._whole:
                self._decide(bytes(self._head), final=False)
        else:  # the usual first piece, head and all: decided without copying it
            self._decide(data, final=False)

    def finish(self) -> Taken | None:
        """The part ended: its size checked against its ``Content-Length`` (ProtocolError);
        its UIDs, complete file and the job's choice when the job takes it."""
        if not self._decided:
            self._decide(bytes(self._head), final=True)
        length = self.headers.get("Content-Length") if hasattr(self.headers, "get") else None
        if length is not None and length.strip().isdigit() and int(length) != self.size:
            self.abort()
            raise ProtocolError(f"a part of {self.size} bytes announced {length}")
        if self.file is None or self.uids is None or self.choice is None:
            return None
        return self.uids, self.file, self.choice

    def abort(self) -> None:
        """The part was cut short (or refused): its temporary file removed."""
        file, self.file = self.file, None
        if file is not None:
            file.abort()

    def _decide(self, head: bytes | bytearray | memoryview, *, final: bool) -> None:
        """Read the UIDs in ``head`` (the part's first bytes, or all of it when ``final``),
        ask the job, and write ``head`` to the file of a part it takes."""
        scanned = scan_uids(bytes(head[:HEAD_BYTES]))
        if scanned is None and self._expected is None and not final:
            if not self._head:
                self._head += head
            self._whole = True  # pydicom reads its UIDs once it has ended
            return
        self.uids = scanned or instance_uids(bytes(head), self._expected)
        self._decided = True
        self._head = bytearray()
        self.choice = self._choose(self.uids)
        if self.choice is not None:
            self.file = self._files.start(self.uids)
            self.file.write(head)


class Receiver:
    """The sinks of one answer: :meth:`sink` makes each part's as it starts, and hands the part
    before it, now complete, to ``landed``; :meth:`end` does so for the last part once the
    answer is complete, :meth:`abort` removes the file of a part cut short."""

    def __init__(
        self,
        files: StagedFiles,
        expected: Uids | None,
        choose: Callable[[Uids], Choice | None],
        landed: Callable[[Taken], None],
    ) -> None:
        self._files = files
        self._expected = expected
        self._choose = choose
        self._landed = landed
        self.current: PartSink | None = None

    def sink(self, headers: Any) -> PartSink:
        self.end()
        self.current = PartSink(self._files, headers, self._expected, self._choose)
        return self.current

    def end(self) -> None:
        current, self.current = self.current, None
        taken = None if current is None else current.finish()
        if taken is not None:
            self._landed(taken)

    def abort(self) -> None:
        current, self.current = self.current, None
        if current is not None:
            current.abort()
