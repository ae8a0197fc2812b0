"""What every keras_gans model shares, whatever it trains on.

The adversarial models (`keras_gans.models.adversarial`) and the likelihood
models (`keras_gans.models.likelihood`) are siblings over this base:

- `backends/`: per Keras backend, what `keras.ops` cannot say (a gradient
  step, input gradients): TensorFlow's tape, JAX's `value_and_grad`,
  PyTorch's autograd;
- `fitting.py`: `CheckedFit`, the checks of `fit()`'s first batch
  (`first_batch.py`) and tf.data's options;
- `forms.py`: `apply_layer_forms`, the one call that makes a model's layers
  compute the way that is fastest on this backend and CPU (sub-pixel
  upsampling, float32 convolutions) without changing their class, config
  or weights;
- `persistence.py`: noise state in `.keras` files, SavedModel export and
  presets (through `keras_gans.models.services`);
- `precision.py`: mixed precision, and the layer form that keeps it fast
  on a CPU without fast bfloat16 convolutions (`float32_convolutions`);
- `replicas.py`: one replica's share of a global batch under
  `tf.distribute` and `keras.distribution`;
- `tensors.py`: ranks, dtypes, NumPy input as tensors.
"""
