"""The least a Python process can do to download a study as files: the floor for ``dicomkit
download`` (benchmarks/cli.py runs it as a case beside curl).

``python benchmarks/_download_floor.py URL STUDY OUT [WORKERS]``: one QIDO-RS request for the
study's series, then each series on one of ``WORKERS`` threads over a raw socket (HTTP/1.1,
``Connection: close``); each part's body goes straight from the receive buffer to its file
(``OUT/STUDY/SERIES/N.dcm``, written under a temporary name and renamed, as dicomkit does).
Nothing else: no journal, no UID read from the instance, no check of the answer beyond the
framing, no TLS, no proxy, no retry. It imports only the modules that work needs, so its start
is the interpreter's. Not a client: a yardstick.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from urllib.parse import urlsplit

ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'
BUFFER = 4 << 20


def _request(host: str, port: int, target: str, accept: str) -> socket.socket:
    sock = socket.create_connection((host, port))
    head = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n"
    sock.sendall((head + "Connection: close\r\n\r\n").encode("ascii"))
    return sock


def _boundary(head: bytes) -> bytes:
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            for parameter in value.split(";"):
                key, _, text = parameter.strip().partition("=")
                if key.lower() == "boundary":
                    return text.strip('"').encode("ascii")
    raise SystemExit("no multipart boundary in the answer")


class _Series:
    """One series' answer, split into files as it arrives."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.buffer = bytearray(BUFFER)
        self.view = memoryview(self.buffer)
        self.start = self.end = 0
        self.state = "http"
        self.delimiter = b""
        self.fd = -1
        self.count = 0
        os.makedirs(folder, exist_ok=True)

    def run(self, sock: socket.socket) -> int:
        while True:
            if self.start > BUFFER // 2:  # move the unread bytes to the front
                self.buffer[: self.end - self.start] = self.buffer[self.start : self.end]
                self.end -= self.start
                self.start = 0
            got = sock.recv_into(self.view[self.end :])
            self.end += got
            if self._consume() or got == 0:
                sock.close()
                return self.count

    def _consume(self) -> bool:
        """Take what the buffer holds; True once the closing delimiter is seen."""
        buffer, view = self.buffer, self.view
        while True:
            if self.state == "http":
                at = buffer.find(b"\r\n\r\n", self.start, self.end)
                if at < 0:
                    return False
                self.delimiter = b"\r\n--" + _boundary(bytes(buffer[self.start : at]))
                self.start, self.state = at + 4, "preamble"
            elif self.state == "preamble":
                at = buffer.find(self.delimiter[2:], self.start, self.end)
                if at < 0:
                    return False
                self.start, self.state = at + len(self.delimiter) - 2, "headers"
            elif self.state == "headers":
                if self.end - self.start >= 2 and buffer.startswith(b"--", self.start):
                    return True
                at = buffer.find(b"\r\n\r\n", self.start, self.end)
                if at < 0:
                    return False
                self.count += 1
                self.fd = os.open(self._path(".part"), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
                self.start, self.state = at + 4, "body"
            else:
                at = buffer.find(self.delimiter, self.start, self.end)
                if at < 0:
                    safe = self.end - len(self.delimiter)
                    if safe > self.start:
                        os.write(self.fd, view[self.start : safe])
                        self.start = safe
                    return False
                os.write(self.fd, view[self.start : at])
                os.close(self.fd)
                os.rename(self._path(".part"), self._path(".dcm"))
                self.start, self.state = at + len(self.delimiter), "headers"

    def _path(self, suffix: str) -> str:
        return os.path.join(self.folder, f"{self.count}{suffix}")


def main(url: str, study: str, out: str, workers: int = 4) -> int:
    parts = urlsplit(url)
    host, port, root = parts.hostname or "127.0.0.1", parts.port or 80, parts.path.rstrip("/")
    sock = _request(host, port, f"{root}/studies/{study}/series", "application/dicom+json")
    answer = bytearray()
    while chunk := sock.recv(1 << 16):
        answer += chunk
    sock.close()
    listed = json.loads(bytes(answer).split(b"\r\n\r\n", 1)[1])
    series = iter([row["0020000E"]["Value"][0] for row in listed])
    lock = threading.Lock()
    written: list[int] = []

    def work() -> None:
        while True:
            with lock:
                uid = next(series, None)
            if uid is None:
                return
            target = f"{root}/studies/{study}/series/{uid}"
            receiver = _Series(os.path.join(out, study, uid))
            written.append(receiver.run(_request(host, port, target, ACCEPT)))

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(written)


if __name__ == "__main__":
    count = main(sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:5]))
    print(count)
