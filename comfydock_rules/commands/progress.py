"""A one-line progress bar on a terminal, for the index's `Progress` callbacks."""

from __future__ import annotations

import threading
import time
from typing import TextIO


class TerminalProgress:
    """One line on `stream`, redrawn at most ten times a second; thread-safe."""

    def __init__(self, stream: TextIO, label: str = "indexing") -> None:
        self.stream = stream
        self.label = label
        self.total_files = 0
        self.total_bytes = 1
        self.files = 0
        self.bytes = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def start(self, total_files: int, total_bytes: int) -> None:
        with self.lock:
            self.total_files = total_files
            self.total_bytes = max(total_bytes, 1)

    def advance(self, files: int, nbytes: int) -> None:
        if self.total_files <= 0:
            return
        with self.lock:
            self.files += files
            self.bytes += nbytes
            now = time.monotonic()
            if now - self.last < 0.1 and self.files < self.total_files:
                return
            self.last = now
            width = 30
            filled = min(width, self.bytes * width // self.total_bytes)
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.files}/{self.total_files} files")
            self.stream.flush()

    def finish(self) -> None:
        if self.total_files > 0 and self.files:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()
