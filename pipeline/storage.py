"""Where files live: local paths, or any fsspec URL (``s3://``, ``gs://``, ``memory://``...).

A plain path goes through the standard library as before; a URL goes through fsspec,
so a corpus or an output on shared or object storage works the same way. The protocol's
own package (s3fs, gcsfs, ...) must be installed for its URLs; fsspec says which one
when it is missing.
"""

from __future__ import annotations

import os
import posixpath
import tempfile
from pathlib import Path
from typing import Any


def is_url(path: str | os.PathLike) -> bool:
    return "://" in str(path)


def url_fs(path: str | os.PathLike) -> tuple[Any, str]:
    """The fsspec file system of a URL and the path within it; ``file://`` URLs are local."""
    import fsspec

    return fsspec.core.url_to_fs(str(path))


def local_path(path: str | os.PathLike) -> Path | None:
    """The local path of a plain path or a ``file://`` URL; None for other storage."""
    if not is_url(path):
        return Path(path)
    fs, inner = url_fs(path)
    from fsspec.implementations.local import LocalFileSystem

    return Path(inner) if isinstance(fs, LocalFileSystem) else None


def name_of(path: str | os.PathLike) -> str:
    """The file name at the end of a path or URL."""
    return posixpath.basename(str(path).rstrip("/")) if is_url(path) else Path(path).name


def list_files(folder: str | os.PathLike, suffix: str) -> list[str | Path] | None:
    """The files of a folder with this suffix (hidden ones left out), sorted; None when the
    folder does not exist."""
    local = local_path(folder)
    if local is not None:
        if not local.is_dir():
            return None
        return sorted(p for p in local.iterdir() if p.suffix == suffix and not p.name.startswith("."))
    fs, root = url_fs(folder)
    if not fs.isdir(root):
        return None
    names = [p for p in fs.ls(root, detail=False) if p.endswith(suffix) and not posixpath.basename(p).startswith(".")]
    return sorted(fs.unstrip_protocol(p) for p in names)


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a file: IsADirectoryError for a folder, OSError when unreadable."""
    local = local_path(path)
    if local is not None:
        return local.read_bytes()
    fs, inner = url_fs(path)
    if fs.isdir(inner):
        raise IsADirectoryError(str(path))
    return fs.cat_file(inner)


def write_atomic(path: str | os.PathLike, data: str | bytes, overwrite: bool = True) -> None:
    """Never half a file. Locally: a temporary file in the same folder, then a rename (or a
    create-only link when `overwrite` is false). Elsewhere: one whole-object write, which
    object stores publish all at once."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    local = local_path(path)
    if local is None:
        fs, inner = url_fs(path)
        if not overwrite and fs.exists(inner):
            raise FileExistsError(str(path))
        parent = posixpath.dirname(inner)
        if parent:
            fs.makedirs(parent, exist_ok=True)
        fs.pipe_file(inner, raw)
        return
    local.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{local.name}.", suffix=".tmp", dir=local.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600); give it the mode any new file gets here
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        if overwrite:
            os.replace(tmp, local)
        else:
            os.link(tmp, local)  # fails if the file exists: never overwrite
            os.unlink(tmp)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
