"""Which pictures a path names: folders, globs, file lists and archives.

`list_images(source)` turns what a user passes to `keras_gans.data.load`
(a folder, searched recursively; a glob; a list of files; a `.zip` or an
uncompressed `.tar`) into an `ImageList`: the files sorted by their path
relative to a root, with their sizes and modification times, and the files
that cannot be pictures (empty, not a regular file, a dangling link, a link
loop) set aside with the reason. Nothing here opens an image; archives are
read in place, never unpacked to disk.
"""

from __future__ import annotations

import array
import errno
import glob
import hashlib
import os
import pathlib
import stat
import tarfile
import threading
import zipfile

import numpy as np

# Extensions of the pictures read (case does not matter); other files in a
# folder (captions, metadata) are not pictures and are not counted.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")
# Archives read in place. A compressed tar has no random access (each read
# would decompress from its start), so it is refused with a way out.
ARCHIVE_SUFFIXES = (".zip", ".tar")
COMPRESSED_TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
# A picture file larger than this is skipped before it is read (the largest
# JPEG of a 100-megapixel camera is about 60 MB).
MAX_FILE_BYTES = 256 * 2**20


class NoImagesError(ValueError):
    """A path names no usable picture (an empty folder, no image files, ...)."""


def is_path_source(source):
    """Whether `load(source)` reads files rather than a dataset by name.

    A string is a path when it contains a path separator, starts with `.`
    or `~`, or ends in an archive suffix; a `pathlib.Path` or a list or
    tuple of paths always is.
    """
    if isinstance(source, os.PathLike) or isinstance(source, (list, tuple)):
        return True
    if not isinstance(source, str):
        return False
    lowered = source.lower()
    return (
        "/" in source
        or os.sep in source
        or source.startswith((".", "~"))
        or lowered.endswith(ARCHIVE_SUFFIXES + COMPRESSED_TAR_SUFFIXES)
    )


def _is_image_name(name):
    return name.lower().endswith(IMAGE_SUFFIXES)


class ImageList:
    """The pictures a source names, sorted by their key (relative path).

    Attributes:
        source: what was given, as a string (a list: its common folder).
        kind: `"folder"`, `"glob"`, `"files"`, `"zip"` or `"tar"`.
        root: the folder keys are relative to (the archive for archives).
        keys: relative POSIX paths, sorted.
        sizes: bytes of each file.
        mtimes: modification times (ns) of each file (the archive's for
            archive members).
        skipped: `{key: reason}` of the files set aside before reading.
    """

    def __init__(self, source, kind, root, keys, sizes, mtimes, skipped, reader):
        self.source = source
        self.kind = kind
        self.root = root
        self.keys = keys
        self.sizes = sizes
        self.mtimes = mtimes
        self.skipped = skipped
        self._reader = reader

    def __len__(self):
        return len(self.keys)

    def read(self, index):
        """The bytes of picture `index`."""
        return self._reader(index)

    def fingerprint(self):
        """`{"files", "sha256"}`: the file count and a hash of keys and sizes.

        What a run records to notice a changed folder (modification times
        are left out: copying a folder keeps the fingerprint).
        """
        digest = hashlib.sha256()
        for key, size in zip(self.keys, self.sizes, strict=True):
            digest.update(f"{key}\0{size}\n".encode("utf-8", "surrogateescape"))
        return {"files": len(self.keys), "sha256": digest.hexdigest()}

    def identity(self):
        """A hash of keys, sizes and times: what the decoded-image cache is keyed by."""
        digest = hashlib.sha256(f"{self.kind}\0{self.root}\n".encode())
        for key, size, mtime in zip(self.keys, self.sizes, self.mtimes, strict=True):
            digest.update(
                f"{key}\0{size}\0{mtime}\n".encode("utf-8", "surrogateescape")
            )
        return digest.hexdigest()

    def subset(self, indices):
        """The same source with only `indices` (ascending) kept."""
        reader = self._reader
        keep = np.asarray(list(indices), np.int64)
        return ImageList(
            self.source,
            self.kind,
            self.root,
            [self.keys[i] for i in keep],
            np.asarray(self.sizes)[keep],
            np.asarray(self.mtimes)[keep],
            dict(self.skipped),
            lambda index: reader(int(keep[index])),
        )


def _check_regular(path):
    """`(size, mtime_ns)` of a regular file, else the reason it is set aside."""
    try:
        info = os.stat(path)  # follows links
    except FileNotFoundError:
        return "dangling link" if os.path.islink(path) else "disappeared"
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "link loop"
        return f"cannot stat ({error.strerror})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (a FIFO, device or socket)"
    if info.st_size == 0:
        return "empty file (0 bytes)"
    if info.st_size > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES // 2**20} MiB"
    return info.st_size, info.st_mtime_ns


def _walk(root):
    """Picture paths under `root`, following links to folders once each."""
    seen = set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        try:
            info = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in seen:  # a link back up the tree
            dirs[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirs.sort()
        for name in files:
            if _is_image_name(name):
                yield os.path.join(folder, name)
        # os.walk lists a link loop among dirs or files depending on the OS:
        # a dangling or looping link with a picture's name is in `files`.


def _unique_files(paths):
    """`paths` with each file once: `**` follows links to folders, loops too."""
    seen = set()
    unique = []
    for path in sorted(paths, key=lambda p: (p.count(os.sep), p)):
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique


def _from_paths(source, kind, root, paths):
    root = os.path.abspath(root)
    keys = []
    sizes = array.array("q")
    mtimes = array.array("q")
    skipped = {}
    for path in paths:
        key = pathlib.PurePath(os.path.relpath(path, root)).as_posix()
        checked = _check_regular(path)
        if isinstance(checked, str):
            skipped[key] = checked
        else:
            keys.append(key)
            sizes.append(checked[0])
            mtimes.append(checked[1])
    # Sorted by key; sizes and times in arrays: about 80 bytes a file in all
    # (100,000 files: 8 MB), nothing else is kept per file.
    order = sorted(range(len(keys)), key=keys.__getitem__)
    keys = [keys[i] for i in order]
    order = np.asarray(order, np.int64)
    sizes = (
        np.frombuffer(sizes, np.int64)[order] if len(keys) else np.zeros(0, np.int64)
    )
    mtimes = (
        np.frombuffer(mtimes, np.int64)[order] if len(keys) else np.zeros(0, np.int64)
    )

    def read(index):
        with open(os.path.join(root, keys[index]), "rb") as file:
            return file.read(MAX_FILE_BYTES + 1)

    return ImageList(str(source), kind, root, keys, sizes, mtimes, skipped, read)


def _zip_list(path):
    archive = zipfile.ZipFile(path)  # reads the central directory only
    mtime = os.stat(path).st_mtime_ns
    members = {}
    skipped = {}
    for info in archive.infolist():
        if info.is_dir() or not _is_image_name(info.filename):
            continue
        kind = (info.external_attr >> 16) & 0o170000
        if kind and kind != stat.S_IFREG:
            skipped[info.filename] = "not a regular file (a link in the archive)"
        elif info.file_size == 0:
            skipped[info.filename] = "empty file (0 bytes)"
        elif info.file_size > MAX_FILE_BYTES:
            skipped[info.filename] = f"larger than {MAX_FILE_BYTES // 2**20} MiB"
        else:
            members[info.filename] = info
    keys = sorted(members)
    infos = [members[k] for k in keys]
    # ZipFile shares one file handle under a lock: reads from decoding
    # threads are safe, one member at a time.
    lock = threading.Lock()

    def read(index):
        with lock:
            return archive.read(infos[index])

    sizes = [i.file_size for i in infos]
    return ImageList(
        str(path), "zip", str(path), keys, sizes, [mtime] * len(keys), skipped, read
    )


def _tar_list(path):
    mtime = os.stat(path).st_mtime_ns
    members = {}
    skipped = {}
    with tarfile.open(path, "r:") as archive:
        for info in archive:
            if not _is_image_name(info.name) or info.isdir():
                continue
            if not info.isreg():
                skipped[info.name] = "not a regular file (a link in the archive)"
            elif info.size == 0:
                skipped[info.name] = "empty file (0 bytes)"
            elif info.size > MAX_FILE_BYTES:
                skipped[info.name] = f"larger than {MAX_FILE_BYTES // 2**20} MiB"
            else:
                members[info.name] = (info.offset_data, info.size)
    keys = sorted(members)
    spans = [members[k] for k in keys]
    # An uncompressed tar stores each member whole at a known offset: read
    # it with pread, safe from any thread.
    fd = os.open(path, os.O_RDONLY)

    def read(index):
        offset, size = spans[index]
        return os.pread(fd, size, offset)

    sizes = [s for _, s in spans]
    return ImageList(
        str(path), "tar", str(path), keys, sizes, [mtime] * len(keys), skipped, read
    )


def list_images(source):
    """The pictures `source` names, as an `ImageList`.

    Args:
        source: a folder (searched recursively, following links to folders
            once), a glob (`"photos/**/*.jpg"`, recursive), a list or tuple
            of file paths, or a `.zip` or uncompressed `.tar` archive. `~` is
            expanded.

    Returns:
        An `ImageList`; files that cannot be pictures are in its `skipped`.

    Raises:
        FileNotFoundError: If the folder, archive or a listed file is missing.
        NoImagesError: If no picture file is found.
        ValueError: For a compressed tar or an unreadable archive.
    """
    if isinstance(source, (list, tuple)):
        paths = [os.path.abspath(os.path.expanduser(os.fspath(p))) for p in source]
        if not paths:
            raise NoImagesError(
                "Expected at least one image file, received an empty list."
            )
        missing = [p for p in paths if not os.path.lexists(p)]
        if missing:
            raise FileNotFoundError(
                f"Expected existing image files; {len(missing)} of {len(paths)} do "
                f"not exist, the first: {missing[0]}"
            )
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
        images = _from_paths(root, "files", root, paths)
    else:
        text = os.path.expanduser(os.fspath(source))
        lowered = text.lower()
        if glob.has_magic(text) and not os.path.exists(text):
            root = text
            while glob.has_magic(root):
                root = os.path.dirname(root)
            paths = _unique_files(
                p
                for p in glob.glob(text, recursive=True)
                if _is_image_name(p) and (os.path.islink(p) or not os.path.isdir(p))
            )
            images = _from_paths(text, "glob", root or ".", paths)
        elif lowered.endswith(COMPRESSED_TAR_SUFFIXES):
            raise ValueError(
                f"Expected a folder, a .zip or an uncompressed .tar; received the "
                f"compressed tar {text}, which cannot be read in random order. "
                "Unpack it (tar -xf) and pass the folder, or recompress as .zip."
            )
        elif os.path.isdir(text):
            images = _from_paths(text, "folder", text, _walk(text))
        elif not os.path.exists(text):
            raise FileNotFoundError(
                f"Expected a folder, glob, archive or image file; {text} does not exist."
            )
        elif lowered.endswith(".zip"):
            try:
                images = _zip_list(text)
            except zipfile.BadZipFile as error:
                raise ValueError(
                    f"{text} is not a readable zip archive: {error}."
                ) from None
        elif lowered.endswith(".tar"):
            try:
                images = _tar_list(text)
            except tarfile.TarError as error:
                raise ValueError(
                    f"{text} is not a readable tar archive: {error}."
                ) from None
        elif _is_image_name(text):
            images = _from_paths(
                text, "files", os.path.dirname(os.path.abspath(text)), [text]
            )
        else:
            raise ValueError(
                f"Expected a folder, a glob, a .zip or .tar archive or image files "
                f"({', '.join(IMAGE_SUFFIXES)}); received {text}."
            )
    if not images.keys:
        found = (
            f"; {len(images.skipped)} picture names were set aside: "
            + describe_skipped(images.skipped, limit=3)
            if images.skipped
            else ""
        )
        raise NoImagesError(
            f"Expected image files ({', '.join(IMAGE_SUFFIXES)}) in {images.source}, "
            f"found none usable{found}."
        )
    return images


def describe_skipped(skipped, limit=10):
    """`skipped` ({key: reason}) as one line: the first `limit` and a count."""
    items = sorted(skipped.items())
    text = "; ".join(f"{key}: {reason}" for key, reason in items[:limit])
    if len(items) > limit:
        text += f"; and {len(items) - limit} more"
    return text


def holdout_share(key):
    """A stable number in [0, 1) for a key: the same file, the same share."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def class_folders(keys):
    """`(class_names, labels)`: the folder under the root holding each key.

    As `keras.utils.image_dataset_from_directory`: the class is a key's
    first folder, and the names are sorted. When every key shares one top
    folder (an archive of `dataset/<class>/...`), the class is the next one.

    Raises:
        ValueError: If a picture lies outside any class folder, or only one
            class is found.
    """
    parts = [key.split("/") for key in keys]
    while parts and all(len(p) > 2 for p in parts) and len({p[0] for p in parts}) == 1:
        parts = [p[1:] for p in parts]
    loose = [key for key, p in zip(keys, parts, strict=True) if len(p) < 2]
    if loose:
        raise ValueError(
            "Expected every picture in a class subfolder for with_labels=True "
            f"(<root>/<class>/<file>); {len(loose)} lie directly in the root, "
            f"the first: {loose[0]}."
        )
    names = sorted({p[0] for p in parts})
    index = {name: i for i, name in enumerate(names)}
    return names, [index[p[0]] for p in parts]
