"""Where files live: local paths, or any fsspec URL (``s3://``, ``gs://``, ``memory://``...).

A plain path goes through the standard library as before; a URL goes through fsspec,
so a corpus or an output on shared or object storage works the same way. The protocol's
own package (s3fs, gcsfs, ...) must be installed for its URLs; fsspec says which one
when it is missing.
"""

from __future__ import annotations

import gc
import os
import posixpath
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator


def is_url(path: str | os.PathLike) -> bool:
    return "://" in str(path)


class StorageError(OSError):
    """A URL whose storage cannot be used here: an unknown protocol, or one whose package
    is not installed (the message says which package)."""


def url_fs(path: str | os.PathLike) -> tuple[Any, str]:
    """The fsspec file system of a URL and the path within it; ``file://`` URLs are local."""
    import fsspec

    try:
        return fsspec.core.url_to_fs(str(path))
    except ImportError as exc:
        protocol = str(path).split("://", 1)[0]
        raise StorageError(f"{protocol}:// needs a package that is not installed: {exc}") from None
    except ValueError as exc:
        protocol = str(path).split("://", 1)[0]
        raise StorageError(f"unknown storage protocol {protocol!r} ({exc})") from None


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


class NotRegularFile(OSError):
    """A path that is a device, a pipe or a socket: reading it may never end."""

    def __init__(self, path: str | os.PathLike, kind: str):
        self.kind = kind
        super().__init__(f"{path}: not a regular file ({kind})")


class TooLarge(OSError):
    """A file with more bytes than the reader's cap."""


def file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a file"


def read_bytes(path: str | os.PathLike, limit: int | None = None, regular_only: bool = True) -> bytes:
    """The bytes of a file: IsADirectoryError for a folder, NotRegularFile for a device,
    pipe or socket (unless `regular_only` is false), TooLarge past `limit` bytes (counted
    as read, not as `stat` says: devices and pipes say 0), OSError when unreadable."""
    local = local_path(path)
    if local is not None:
        if local.is_dir():
            raise IsADirectoryError(str(path))
        if regular_only and local.exists() and not local.is_file():
            raise NotRegularFile(path, file_kind(local.stat().st_mode))
        with open(local, "rb") as fh:
            data = fh.read() if limit is None else fh.read(limit + 1)
    else:
        fs, inner = url_fs(path)
        if fs.isdir(inner):
            raise IsADirectoryError(str(path))
        data = fs.cat_file(inner) if limit is None else fs.cat_file(inner, start=0, end=limit + 1)
    if limit is not None and len(data) > limit:
        raise TooLarge(f"{path}: more than {limit} bytes")
    return data


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


class OutputError(ValueError):
    """An output path that must not or cannot be written; checked before any work."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's garbage collector off while a load makes hundreds of thousands of objects
    that all live on (a model, a table): it would walk every one of them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def built_once(name: str, versions: list[str], build: Callable[[], Any], valid: Callable[[Any], bool] = lambda value: True) -> Any:
    """Tables derived from installed packages, built once per machine: kept in the user's
    cache folder as marshal (plain dicts, sets, tuples and strings only) under a name that
    changes with `versions`, so they are never stale. A one-article run reads them in a
    few hundredths of a second where building them takes tenths. A cache that cannot be
    read or written, or whose value is not `valid`, is built again."""
    import hashlib
    import marshal
    import sys

    key = hashlib.sha1("|".join([sys.version, *versions]).encode()).hexdigest()[:16]
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mine-claims"
    path = folder / f"{name}-{key}.marshal"
    try:
        with collector_paused():
            value = marshal.loads(path.read_bytes())
        if valid(value):
            return value
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, marshal.dumps(value))
        for old in folder.glob(f"{name}-*.marshal"):
            if old != path and len(old.stem) == len(path.stem):
                old.unlink(missing_ok=True)  # built for other versions
    except (OSError, ValueError):
        pass  # a read-only home: built again next time
    return value


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _local_input(given: str | os.PathLike | None) -> Path | None:
    """An input's local path; None for remote storage, or storage the command will report
    as unusable when it reads the input."""
    try:
        return local_path(given) if given else None
    except StorageError:
        return None


def check_output(out: str | os.PathLike, inputs: tuple = (), folders: tuple = ()) -> None:
    """Refuse, before any work, an output that is one of the call's `inputs`, lies inside
    one of its input `folders` (the corpus), is a folder or a device, or sits where no
    file can be made (under a file, in a read-only folder). The message names the path
    and the problem; nothing is touched."""
    try:
        local = local_path(out)
    except StorageError as exc:
        raise OutputError(f"{out}: {exc}") from None
    if local is None:
        return
    target = local.resolve()
    for given in inputs:
        other = _local_input(given)
        if other is not None and other.resolve() == target:
            raise OutputError(f"{out}: is also an input of this command ({given}); choose another output file")
    for given in folders:
        other = _local_input(given)
        if other is not None and other.is_dir() and _inside(target, other.resolve()):
            raise OutputError(f"{out}: lies inside the input folder {given}; choose an output outside it")
    if target.is_dir():
        raise OutputError(f"{out}: is a folder; give a file name")
    if target.exists() and not target.is_file():
        raise OutputError(f"{out}: not a regular file ({file_kind(target.stat().st_mode)}); choose another output file")
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{out}: cannot be written: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{out}: cannot be written: folder {folder} is read-only")
