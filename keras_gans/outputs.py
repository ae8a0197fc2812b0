"""What a command may write: its own files, never a file it did not write.

Every file keras_gans writes for a person to keep carries a mark that says
so: PNGs a `Software` text chunk (`PNG_MARK`), JSON reports their own keys.
A command that finds a file at a path it is about to write replaces it only
if the mark says keras_gans wrote it, or if the person said `--overwrite`
(`overwrite=True`); otherwise it stops with `OutputExistsError` before
writing anything. A run folder is claimed the same way (`claim_run_folder`,
in `keras_gans.runs`), and one process at a time writes it (`FolderLock`).

```python
check_outputs(["grid.png"], overwrite=False)   # raises if grid.png is a user's
with FolderLock("runs/dcgan"):                   # a second writer is refused
    ...
```
"""

from __future__ import annotations

import errno
import json
import os
import pathlib

# The PNG text chunk of every image keras_gans writes (PIL's `PngInfo` and
# matplotlib's `savefig(metadata=...)` both write it as tEXt).
PNG_MARK = {"Software": "keras_gans"}

OVERWRITE_HINT = (
    "pass overwrite=True (--overwrite on the command line) to replace it, "
    "or choose another output"
)


class OutputExistsError(FileExistsError):
    """A path a command would write holds a file that keras_gans did not write."""


class FolderBusyError(OSError):
    """Another process holds the folder's lock: one writer at a time."""


def is_keras_gans_png(path):
    """Whether `path` is a PNG that keras_gans wrote (it carries `PNG_MARK`)."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    if not head.startswith(b"\x89PNG\r\n\x1a\n"):
        return False
    # The tEXt chunk comes before the image data; a byte search of the head
    # needs no decoder and reads no pixels.
    key, value = next(iter(PNG_MARK.items()))
    return b"tEXt" in head and f"{key}\0{value}".encode() in head


def json_object(path):
    """The JSON object in `path`, or `None` if it holds anything else."""
    try:
        value = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def is_ours(path, keys=()):
    """Whether the existing file `path` is one keras_gans wrote.

    Args:
        path: an existing file.
        keys: for a `.json` file, the keys keras_gans always writes in it
            (every one must be there). Defaults to `()`: any `.json` file is
            foreign.

    Returns:
        `True` for a marked PNG, or a JSON object with all of `keys`.
    """
    path = pathlib.Path(path)
    if path.suffix.lower() == ".png":
        return is_keras_gans_png(path)
    if path.suffix.lower() == ".json" and keys:
        found = json_object(path)
        return found is not None and all(k in found for k in keys)
    return False


def check_outputs(paths, overwrite=False, ours=is_ours):
    """Raises `OutputExistsError` for the first path that holds a foreign file.

    Args:
        paths: the files a command is about to write.
        overwrite: replace whatever is there. Defaults to `False`.
        ours: `ours(path) -> bool` for an existing file: whether keras_gans
            wrote it (it may then be rewritten). Defaults to `is_ours`.

    Raises:
        OutputExistsError: a path holds a file keras_gans did not write, or
            a folder where a file is to go (even with `overwrite`).
    """
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            raise OutputExistsError(
                f"Expected {path} to be a file to write; found a folder there."
            )
        if overwrite or not os.path.lexists(path):
            continue
        if not ours(path):
            raise OutputExistsError(
                f"Expected {path} to be absent or a file keras_gans wrote; found a "
                f"file it did not write: {OVERWRITE_HINT}."
            )


def check_output_file(path, overwrite=False, keys=()):
    """`check_outputs` for one file: a marked PNG, or a JSON object with `keys`, is ours."""
    check_outputs([path], overwrite, ours=lambda found: is_ours(found, keys))


class FolderLock:
    """An exclusive lock on a folder, held by one process until it ends.

    `fcntl.flock` on the hidden file `.keras_gans.lock` inside the folder:
    the kernel releases it when the process dies, however it dies, so a
    killed run never leaves the folder locked. Another process (or another
    `FolderLock` in this one) is refused at once with `FolderBusyError`.
    Where `fcntl` does not exist (Windows) the lock does nothing.

    Args:
        folder: the folder (created, with its parents, if missing).
        what: what the folder is, for the message. Defaults to `"folder"`.
    """

    NAME = ".keras_gans.lock"

    def __init__(self, folder, what="folder"):
        self.folder = pathlib.Path(folder)
        self.what = what
        self._file = None

    def acquire(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows
            self._file = open(os.devnull)  # noqa: SIM115 - "held", nothing locked
            return self
        f = open(self.folder / self.NAME, "a+")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            f.close()
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise FolderBusyError(
                f"Expected no other process to be writing the {self.what} "
                f"{self.folder}; another one is (it holds {self.NAME}). Wait for "
                "it to finish, stop it, or choose another folder."
            ) from None
        # Which process holds it, for a person who looks.
        f.seek(0)
        f.truncate()
        f.write(f"{os.getpid()}\n")
        f.flush()
        self._file = f
        return self

    @property
    def held(self):
        """Whether this object holds the lock now."""
        return self._file is not None

    def release(self):
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def foreign_entries(folder, own=()):
    """The names in `folder` that are neither hidden nor in `own`, sorted."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        return []
    return sorted(
        p.name
        for p in folder.iterdir()
        if not p.name.startswith(".") and p.name not in own
    )
