"""A part's digest: what its footer promises about the rest of the file.

Parts carry ``escalate.bytes_sha256``: the SHA-256 of the row count and of every
byte of the file before the Parquet footer (the magic number and every page:
headers, dictionaries, values), hashed as the writer emits them
(:class:`HashingFile`). It costs about 1 ms per million cascades to make and to
check (the compressed bytes, not the values, are hashed). Parquet's own page
checksums cover page contents only; the digest also covers the page headers
(sizes, encodings, value counts) and, through the row count, the footer's claim
of how many rows there are. The rest of the footer is checked when it is read
(schema, metadata against the manifest, replicate ranges).

Parts written by earlier versions of escalate carry ``escalate.content_sha256``, a
digest of the values read back (:func:`content_digest`), and are still verified
by it (reading them whole).

Examples
--------
>>> import io, pyarrow as pa, pyarrow.parquet as pq
>>> buf = io.BytesIO()
>>> sink = HashingFile(buf, rows=3)
>>> with pq.ParquetWriter(sink, pa.schema([("x", pa.int64())])) as w:
...     w.write_table(pa.table({"x": [1, 2, 3]}))
...     digest = sink.hexdigest()
>>> sink.footer_starts_at(sink.hashed)
True
>>> len(digest)
64
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = [
    "BYTES_KEY",
    "CONTENT_KEY",
    "HashingFile",
    "content_digest",
    "digest_problem",
    "file_digest",
]

#: Footer key of the digest of a part's bytes (written by this version).
BYTES_KEY = "escalate.bytes_sha256"
#: Footer key of the digest of a part's values (earlier versions).
CONTENT_KEY = "escalate.content_sha256"
_READ = 1 << 20


def _start(rows: int) -> hashlib._Hash:
    """A SHA-256 that has taken the row count (the footer's, on reading)."""
    return hashlib.sha256(f"escalate part\0rows={rows}\0".encode())


class HashingFile(io.RawIOBase):
    """A writable binary file that hashes every byte written through it.

    Give it to :class:`pyarrow.parquet.ParquetWriter` as the sink; after
    ``write_table`` every page is written, so :meth:`hexdigest` covers every byte
    before the footer, which is written (with the digest in its metadata) when
    the writer closes. :meth:`footer_starts_at` checks that this was so.

    Parameters
    ----------
    raw : binary file
        Where the bytes go.
    rows : int
        The row count the file will claim (hashed first).
    """

    def __init__(self, raw: BinaryIO, rows: int) -> None:
        super().__init__()
        self._raw = raw
        self._hash = _start(rows)
        self._tail = b""
        #: Bytes written so far.
        self.size = 0
        #: Bytes covered by the last :meth:`hexdigest`.
        self.hashed = -1

    def writable(self) -> bool:
        """Always: it is a sink."""
        return True

    def write(self, data) -> int:
        """Write ``data`` through, hashing it."""
        view = memoryview(data).cast("B")
        self._raw.write(view)
        self._hash.update(view)
        self.size += len(view)
        self._tail = (self._tail + bytes(view[-8:]))[-8:]
        return len(view)

    def tell(self) -> int:
        """Bytes written so far."""
        return self.size

    def flush(self) -> None:
        """Flush the file below."""
        self._raw.flush()

    def hexdigest(self) -> str:
        """The digest of what was written so far (the row count, then the bytes)."""
        self.hashed = self.size
        return self._hash.hexdigest()

    def footer_starts_at(self, position: int) -> bool:
        """Whether the Parquet footer written last begins at byte ``position``."""
        if len(self._tail) < 8 or self._tail[4:] != b"PAR1":
            return False
        return self.size - 8 - int.from_bytes(self._tail[:4], "little") == position


def file_digest(path: str | Path | BinaryIO, rows: int) -> str:
    """The digest of a Parquet file's bytes before its footer, with ``rows``.

    Parameters
    ----------
    path : str, pathlib.Path or binary file
        The file, or the file open for reading (read from its start).
    rows : int
        The row count its footer claims.

    Raises
    ------
    ValueError
        If the file does not end like a Parquet file.
    """
    if isinstance(path, str | Path):
        with open(path, "rb") as f:
            return _digest_of(f, rows)
    return _digest_of(path, rows)


def _digest_of(f: BinaryIO, rows: int) -> str:
    size = os.fstat(f.fileno()).st_size
    if size < 12:
        raise ValueError("too short for a Parquet file")
    f.seek(size - 8)
    tail = f.read(8)
    if tail[4:] != b"PAR1":
        raise ValueError("no Parquet magic number at the end")
    left = size - 8 - int.from_bytes(tail[:4], "little")
    if left < 4:
        raise ValueError("footer length beyond the file")
    f.seek(0)
    h = _start(rows)
    buf = bytearray(min(_READ, left))
    view = memoryview(buf)
    while left:
        got = f.readinto(view[: min(left, len(buf))])  # type: ignore[attr-defined]
        if not got:
            raise ValueError("file shorter than its footer says")
        h.update(view[:got])
        left -= got
    return h.hexdigest()


def digest_problem(
    path: str | Path, footer: pq.FileMetaData, whole: pa.Table | None = None
) -> str | None:
    """What is wrong with a part, judged by the digest in its footer (None: nothing).

    The row counts of the footer must agree with each other (the file's is hashed)
    and with the rows read. The reader checks the columns' names and types
    (:func:`escalate.results.schema.schema_problem`).

    Parameters
    ----------
    path : str or pathlib.Path
        The part file.
    footer : pyarrow.parquet.FileMetaData
        Its footer (read already).
    whole : pyarrow.Table, optional
        The part read whole: its rows are counted, and it is needed to check the
        content digest of a part of an earlier version (not checked without it).

    Raises
    ------
    OSError, ValueError
        If the file cannot be read or does not end like a Parquet file.
    """
    meta = footer.metadata or {}
    groups = sum(footer.row_group(i).num_rows for i in range(footer.num_row_groups))
    if groups != footer.num_rows or (whole is not None and whole.num_rows != footer.num_rows):
        return "its row counts disagree"
    if BYTES_KEY.encode() in meta:
        same = file_digest(path, footer.num_rows) == meta[BYTES_KEY.encode()].decode()
        return None if same else "its bytes do not match the digest written with them"
    if CONTENT_KEY.encode() in meta and whole is not None:
        same = content_digest(whole) == meta[CONTENT_KEY.encode()].decode()
        return None if same else "its values do not match the digest written with them"
    return None


def content_digest(table: pa.Table) -> str:
    """A digest of a table's values, independent of chunking and dictionary encoding.

    The digest of parts written by earlier versions (``escalate.content_sha256``).
    It covers the column names, validity and values in order. Strings are
    digested through a dictionary (a digest per distinct value, then one 8-byte
    word per row); numbers are digested from Arrow's buffers.
    """
    h = hashlib.sha256()
    for name in table.column_names:
        arr = table.column(name).combine_chunks()
        h.update(f"{name}:{len(arr)}:{arr.null_count}\0".encode())
        if arr.null_count:
            h.update(arr.is_valid().to_numpy(zero_copy_only=False))
        if _is_text(arr.type):
            arr = pc.dictionary_encode(arr)
        if pa.types.is_dictionary(arr.type):
            # the kind of the values (text or bytes), not their exact Arrow type: a
            # plain and a dictionary-encoded string column digest the same
            h.update(b"str" if pa.types.is_string(arr.type.value_type) or
                     pa.types.is_large_string(arr.type.value_type) else b"bin")  # fmt: skip
            words = np.array([_word(v) for v in arr.dictionary.to_pylist()] or [0], dtype=np.uint64)
            h.update(words[arr.indices.fill_null(0).to_numpy(zero_copy_only=False)])
        else:
            if arr.null_count:
                arr = pc.fill_null(arr, pa.scalar(0, arr.type))
            h.update(str(arr.type).encode())
            h.update(np.ascontiguousarray(arr.to_numpy(zero_copy_only=False)).data)
    return h.hexdigest()


def _is_text(t: pa.DataType) -> bool:
    """Strings or bytes, plain (not dictionary-encoded)."""
    return any(f(t) for f in (pa.types.is_string, pa.types.is_large_string,
                              pa.types.is_binary, pa.types.is_large_binary))  # fmt: skip


def _word(value: str | bytes | None) -> int:
    """An 8-byte digest of one string (or bytes) value."""
    if value is None:
        raw = b"\x00"
    else:
        raw = b"\x01" + (value if isinstance(value, bytes) else value.encode())
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "little")
