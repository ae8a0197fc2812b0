"""`keras-gans demo`: play with any keras_gans model in the browser.

```python
from keras_gans import demo

app = demo.build("dcgan_fashion_mnist")  # a zoo name, run folder, export, model
demo.launch(app)                         # http://127.0.0.1:7860, offline
```

or `keras-gans demo dcgan_fashion_mnist`. Each family chooses its tabs
(its `keras_gans.demo.spec.DemoSpec`): samples and interpolation for every latent
generator, latent arithmetic for DCGAN, codes for InfoGAN, captions,
caption interpolation and style transfer for GAN-CLS. Needs Gradio:
`pip install 'keras-gans[demo]'`.
"""

from keras_gans.demo.app import (
    CSS,
    Library,
    build,
    launch,
    parse_auth,
    require_gradio,
)
from keras_gans.demo.spec import DemoSpec
from keras_gans.demo.target import Target
from keras_gans.demo.views import (
    ArithmeticView,
    DemoInputError,
    InterpolationView,
    SamplesView,
    View,
    parse_seed,
    read_image,
)

__all__ = [
    "CSS",
    "ArithmeticView",
    "DemoInputError",
    "InterpolationView",
    "Library",
    "SamplesView",
    "Target",
    "View",
    "DemoSpec",
    "build",
    "launch",
    "parse_auth",
    "parse_seed",
    "read_image",
    "require_gradio",
]
