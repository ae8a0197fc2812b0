"""The keras_gans model zoo: published generators by name.

```python
from keras_gans import zoo

zoo.list_models()
gan = zoo.load_pretrained("dcgan_fashion_mnist")
images = gan.generate(16, seed=0)
```

See `zoo/README.md` for the models, their cards and how each was trained.
"""

from keras_gans.zoo._download import (
    ArchiveTooLargeError,
    ChecksumError,
    CorruptArchiveError,
    DownloadError,
    UnsafeArchiveError,
    extract_archive,
    fetch,
    make_archive,
    sha256_file,
)
from keras_gans.zoo.cache import CacheEntry, cache_info, clear_cache
from keras_gans.zoo.pretrained import Pretrained, load_pretrained
from keras_gans.zoo.registry import (
    NotPublishedError,
    UnknownModelError,
    default_cache_dir,
    get_entry,
    list_models,
    load_manifest,
    package_zoo_dir,
)
from keras_gans.zoo.spec import ZooSpec

__all__ = [
    "ArchiveTooLargeError",
    "CorruptArchiveError",
    "CacheEntry",
    "ChecksumError",
    "DownloadError",
    "NotPublishedError",
    "Pretrained",
    "UnknownModelError",
    "UnsafeArchiveError",
    "ZooSpec",
    "cache_info",
    "clear_cache",
    "default_cache_dir",
    "extract_archive",
    "fetch",
    "get_entry",
    "list_models",
    "load_manifest",
    "load_pretrained",
    "make_archive",
    "package_zoo_dir",
    "sha256_file",
]
