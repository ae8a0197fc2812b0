"""Training runs that survive interruption: the logic behind `keras-gans train`.

- `TrainConfig` (`config`): the run's settings, common and the family's own.
- `train` (`loop`): build or resume the model, `fit()`, write the family's
  figures.
- `load_trained`, `read_run_file`, ... (`folder`): the run folder.

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
    RunProgress,
    claim_run_folder,
    load_trained,
    read_run_file,
    save_model_atomic,
    write_run_file,
)
from keras_gans.runs.loop import TrainResult, build_model, train

__all__ = [
    "CHECKPOINT",
    "FINAL_MODEL",
    "RUN_FILE",
    "RunProgress",
    "TrainConfig",
    "TrainResult",
    "build_model",
    "claim_run_folder",
    "default_image_shape",
    "load_trained",
    "read_run_file",
    "save_model_atomic",
    "train",
    "write_run_file",
]
