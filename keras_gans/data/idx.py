"""Reading and writing IDX files, the format of (Fashion-)MNIST.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number
of dimensions), one big-endian uint32 per dimension, then the values in
row-major order, big-endian. The distributed files are gzip-compressed.
See http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS").
"""

import gzip
import os
import struct
import zlib

import numpy as np

# IDX dtype code -> big-endian numpy dtype.
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path):
    """Reads an IDX file (plain or gzip-compressed) into a numpy array.

    Compression is detected from the file's first bytes, not its name, so a
    decompressed copy that kept its `.gz` name still reads.

    Args:
        path: Path of the file.

    Returns:
        A numpy array with the file's shape and dtype (in native byte order).

    Raises:
        ValueError: If the file is not a valid IDX file: bad magic number,
            unknown dtype code, truncated header, or a byte count that does
            not match the dimensions. The message names the file.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as e:
            raise ValueError(
                f"Cannot decompress IDX file {path!r}: expected a complete gzip "
                f"stream, but decompression failed ({e}). The file is probably "
                "truncated or corrupt; download it again."
            ) from e

    if len(raw) < 4:
        raise ValueError(
            f"Invalid IDX file {path!r}: expected at least a 4-byte header, "
            f"received {len(raw)} bytes."
        )
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise ValueError(
            f"Invalid IDX file {path!r}: expected the magic number to start "
            f"with two zero bytes, received {raw[:4].hex()!r}. "
            "This is not an IDX file."
        )
    if code not in _DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _DTYPES)
        raise ValueError(
            f"Invalid IDX file {path!r}: expected a dtype code in ({known}), "
            f"received 0x{code:02X}."
        )
    if ndim == 0:
        raise ValueError(
            f"Invalid IDX file {path!r}: expected at least 1 dimension, received 0."
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"Invalid IDX file {path!r}: expected a {header_size}-byte header for "
            f"{ndim} dimensions, received {len(raw)} bytes."
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header_size])
    dtype = _DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    received = len(raw) - header_size
    if received != expected:
        raise ValueError(
            f"Invalid IDX file {path!r}: expected {expected} data bytes for shape "
            f"{shape} of {dtype.name}, received {received}. The file is probably "
            "truncated or corrupt; download it again."
        )
    array = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    # astype copies into a writable native-order array that owns its memory.
    return array.astype(dtype.newbyteorder("="))


def write_idx(path, array):
    """Writes a numpy array as an IDX file, gzip-compressed if `path` ends in `.gz`.

    The gzip header carries no timestamp, so the same array always gives the
    same bytes (committed fixtures stay unchanged when regenerated).

    Args:
        path: Destination path.
        array: Array of dtype uint8, int8, int16, int32, float32 or float64
            with at least one dimension.

    Raises:
        ValueError: If the dtype or number of dimensions cannot be stored.
    """
    path = os.fspath(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        names = ", ".join(d.name for d in _CODES)
        raise ValueError(
            f"IDX can store dtypes ({names}), received an array of {array.dtype}."
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(
            f"IDX can store 1 to 255 dimensions, received shape {array.shape}."
        )
    header = struct.pack(">HBB", 0, _CODES[native], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array, dtype=_DTYPES[_CODES[native]]).tobytes()
    if path.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
