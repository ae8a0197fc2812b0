"""Training runs that survive interruption: the logic behind `keras-gans train`.

- `TrainConfig` (`config`): the run's settings, common and the family's own.
- `train` (`loop`): build or resume the model, `fit()`, write the family's
  figures.
- `load_trained`, `read_run_file`, ... (`folder`): the run folder.
- `RunSpec`, `RunOption` (`spec`): what a model family tells runs and the
  command line (its options, how to build, compile and feed it).

```python
from keras_gans import runs

config = runs.TrainConfig(model="dcgan", dataset="fashion_mnist", epochs=5)
result = runs.train(config, "runs/dcgan")   # rerun to resume
model = runs.load_trained("runs/dcgan")
```
"""

from keras_gans.runs.config import TrainConfig, default_image_shape
from keras_gans.runs.folder import (
    CHECKPOINT,
    FINAL_MODEL,
    RUN_FILE,
    load_trained,
    read_run_file,
)
from keras_gans.runs.loop import TrainResult, build_model, train
from keras_gans.runs.spec import RunOption, RunSpec

__all__ = [
    "CHECKPOINT",
    "FINAL_MODEL",
    "RUN_FILE",
    "RunOption",
    "RunSpec",
    "TrainConfig",
    "TrainResult",
    "build_model",
    "default_image_shape",
    "load_trained",
    "read_run_file",
    "train",
]
