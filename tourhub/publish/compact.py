"""A month of counts in compact form: gzip CSV (the validated bytes, compressed; what the Data
Package describes, so Frictionless validates it) and Parquet (zstd, typed columns; what DuckDB,
pandas and Spark read fastest). A year of a region's hourly counts is about 800 MB of CSV; these
are a tenth of that and less.

Both are functions of the month file's bytes alone, so each is made once and kept in
build/cache/compact/ under the file's sha256 (a closed month never changes), and the same bytes
always give the same files (gzip without a timestamp; DuckDB writing on one thread).
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from tourhub.core.files import write_atomically

FORMAT_VERSION = 1          # bump when what is written changes: old cache entries are then ignored
PARQUET_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
                 "date": "DATE", "datetime": "TIMESTAMPTZ", "year": "INTEGER", "duration": "VARCHAR"}


def compact_cache(root: Path) -> Path:
    return root / "build" / "cache" / "compact"


def gzip_csv(source: Path, sha256: str, cache: Path | None) -> bytes:
    """The month file gzipped (level 6, no file name or time in the header)."""
    return _cached(cache, sha256, "csv.gz", lambda: gzip.compress(source.read_bytes(), 6, mtime=0))


def parquet(source: Path, sha256: str, schema: dict, cache: Path | None) -> bytes:
    """The month file as Parquet (zstd), each column typed from the Table Schema; times are
    stored as UTC instants (Parquet keeps no offset)."""
    return _cached(cache, sha256, "parquet", lambda: _to_parquet(source, schema))


def _to_parquet(source: Path, schema: dict) -> bytes:
    import tempfile

    import duckdb
    columns = {field["name"]: PARQUET_TYPES.get(field["type"], "VARCHAR") for field in schema["fields"]}
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "month.parquet"
        connection = duckdb.connect()
        try:
            connection.execute("SET threads = 1")             # the same bytes every time
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute(
                "COPY (SELECT * FROM read_csv(?, header = true, delim = ',', quote = '\"', columns = ?, "
                "auto_detect = false)) TO '" + str(target).replace("'", "''") + "' (FORMAT parquet, COMPRESSION zstd)",
                [str(source), columns])
        finally:
            connection.close()
        return target.read_bytes()


def _cached(cache: Path | None, sha256: str, suffix: str, make) -> bytes:
    if cache is None:
        return make()
    path = cache / f"{sha256}.v{FORMAT_VERSION}.{suffix}"
    digest_path = path.with_name(path.name + ".sha256")
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == digest_path.read_text("ascii").strip():
            return data
    except OSError:
        pass
    data = make()
    try:
        cache.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data, durable=False)
        write_atomically(digest_path, hashlib.sha256(data).hexdigest().encode("ascii"), durable=False)
    except OSError:
        pass                # no cache is slower, never wrong
    return data
