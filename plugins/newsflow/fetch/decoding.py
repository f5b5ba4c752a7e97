"""Content-Encoding decoding (gzip, deflate, br) with a cap on the *decompressed* size.

httpx would decompress for us, but without a limit: a 1 MiB gzip bomb becomes 1 GiB in memory
before any size check runs. Decoding here, incrementally, lets the client stop at the cap and
tell a bomb (absurd ratio) from a merely large body.
"""

from __future__ import annotations

import zlib
from typing import Any

import brotli

CHUNK = 64 * 1024


class Overflow(Exception):
    """Decoded output went past the cap; ``partial``: what the call that overflowed decoded
    (up to a little past the cap), for a caller that keeps a truncated body."""

    def __init__(self, partial: bytes = b"") -> None:
        super().__init__()
        self.partial = partial


class Decoder:
    """Incremental decoder for one Content-Encoding with an output cap."""

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding
        self.limit = limit
        self.produced = 0
        self.consumed = 0  # input bytes consumed so far
        self._first = True
        self._z: Any = None
        self._br: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
        elif encoding == "br":
            self._br = brotli.Decompressor()
        else:
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")

    def _room(self) -> int:
        return max(1, min(self.limit - self.produced + 1, CHUNK * 16))

    def _emit(self, out: list[bytes], piece: bytes) -> None:
        if piece:
            self.produced += len(piece)
            out.append(piece)
            if self.produced > self.limit:
                raise Overflow(b"".join(out))

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        if self._br is not None:
            # Small slices keep the consumed-input count (for the bomb ratio) precise.
            for start in range(0, len(data), 256):
                piece = data[start : start + 256]
                self.consumed += len(piece)
                self._emit(out, self._br.process(piece, output_buffer_limit=self._room()))
                while not self._br.can_accept_more_data():
                    self._emit(out, self._br.process(b"", output_buffer_limit=self._room()))
            return b"".join(out)
        pending = data
        while pending:
            try:
                piece = self._z.decompress(pending, self._room())
            except zlib.error:
                if self._first and self.encoding == "deflate":
                    # Some servers send raw deflate without the zlib wrapper.
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    self._first = False
                    continue
                raise
            self._first = False
            left = self._z.unconsumed_tail or (self._z.unused_data if self._z.eof else b"")
            self.consumed += len(pending) - len(left)
            self._emit(out, piece)
            if self._z.unconsumed_tail:
                pending = self._z.unconsumed_tail
            elif self._z.eof and self._z.unused_data:
                # Concatenated gzip members (RFC 1952 allows several).
                pending = self._z.unused_data
                if self.encoding in ("gzip", "x-gzip"):
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
                else:
                    break  # trailing garbage after a deflate stream: ignore
            else:
                pending = b""
        return b"".join(out)

    def flush(self) -> bytes:
        out: list[bytes] = []
        if self._z is not None:
            self._emit(out, self._z.flush())
        # A truncated brotli stream is tolerated like browsers do (the body is what we got).
        return b"".join(out)


class DecoderChain:
    """Undo a list of Content-Encodings (given in the order they were applied)."""

    def __init__(self, encodings: list[str], limit: int):
        self.decoders = [Decoder(e, limit) for e in reversed(encodings)]

    @property
    def consumed(self) -> int:
        return self.decoders[0].consumed

    @property
    def produced(self) -> int:
        return self.decoders[-1].produced

    def feed(self, data: bytes) -> bytes:
        for index, d in enumerate(self.decoders):
            try:
                data = d.feed(data) if data else b""
            except Overflow as exc:  # what overflowed, through the decoders after it
                partial = exc.partial
                for later in self.decoders[index + 1 :]:
                    try:
                        partial = later.feed(partial) if partial else b""
                    except Overflow as inner:
                        partial = inner.partial
                raise Overflow(partial) from None
        return data

    def flush(self) -> bytes:
        data = b""
        for d in self.decoders:
            data = (d.feed(data) if data else b"") + d.flush()
        return data
