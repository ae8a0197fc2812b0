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
    ChecksumError,
    DownloadError,
    UnsafeArchiveError,
    extract_archive,
    fetch,
    make_archive,
    sha256_file,
)
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

__all__ = [
    "ChecksumError",
    "DownloadError",
    "NotPublishedError",
    "Pretrained",
    "UnknownModelError",
    "UnsafeArchiveError",
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
