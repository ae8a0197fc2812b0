"""InfoGAN (Chen et al. 2016): interpretable codes learned without labels."""

from keras_gans.models.infogan.figures import (
    SWEEP_NOISE_ROWS,
    SWEEP_VALUES,
    generate_in_category,
    save_code_figures,
    save_code_sweep,
)
from keras_gans.models.infogan.infogan import InfoGAN
from keras_gans.models.infogan.networks import (
    build_infogan_generator,
    build_infogan_trunk,
    build_q_head,
)

__all__ = [
    "SWEEP_NOISE_ROWS",
    "SWEEP_VALUES",
    "InfoGAN",
    "build_infogan_generator",
    "build_infogan_trunk",
    "build_q_head",
    "generate_in_category",
    "save_code_figures",
    "save_code_sweep",
]
