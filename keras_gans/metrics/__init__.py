"""Evaluation metrics for generative models, computed from features.

Metrics take the features (or class probabilities) of real and generated
examples, never images: choose the feature extractor separately and report
it, with the number of samples, next to every number.

Pure functions (NumPy in, float or dict out, float64 inside):

| function | measures | paper |
|---|---|---|
| `fid_from_activations`, `frechet_distance` | Fréchet distance of Gaussian fits (FID) | Heusel et al. 2017 |
| `kernel_inception_distance` | unbiased polynomial-kernel MMD^2 (KID) | Bińkowski et al. 2018 |
| `inception_score` | exp E KL(p(y|x) || p(y)) (IS) | Salimans et al. 2016 |
| `precision_recall` | k-NN manifold precision and recall | Kynkäänniemi et al. 2019 |
| `density_coverage` | k-NN density and coverage | Naeem et al. 2020 |
| `parzen_evaluate` (+ `parzen_log_likelihood`, `select_parzen_sigma`) | Parzen-window log-likelihood | Goodfellow et al. 2014 |
| `mode_collapse_report` | classes covered, KL from the data's class histogram | |
| `cluster_accuracy` (+ `contingency_matrix`) | accuracy of clusters under the best one-to-one matching to labels | |
| `normalized_mutual_information` | NMI between clusters and labels | |
| `kmeans_accuracy` (+ `kmeans_clusters`) | matched accuracy of k-means on raw pixels (needs scikit-learn) | |

`keras.metrics.Metric` classes that accumulate over batches with bounded
memory: `FrechetDistance`, `KernelDistance`, `InceptionScore`,
`PrecisionRecall`, `DensityCoverage` (see `keras_gans.metrics.streaming`).
"""

from keras_gans.metrics.clustering import (
    cluster_accuracy,
    contingency_matrix,
    kmeans_accuracy,
    kmeans_clusters,
    normalized_mutual_information,
)
from keras_gans.metrics.fid import (
    activation_statistics,
    fid_from_activations,
    frechet_distance,
)
from keras_gans.metrics.inception import inception_score
from keras_gans.metrics.kid import kernel_inception_distance
from keras_gans.metrics.manifold import density_coverage, precision_recall
from keras_gans.metrics.mode_collapse import mode_collapse_report
from keras_gans.metrics.parzen import (
    parzen_evaluate,
    parzen_log_likelihood,
    select_parzen_sigma,
)
from keras_gans.metrics.streaming import (
    DensityCoverage,
    FrechetDistance,
    InceptionScore,
    KernelDistance,
    PrecisionRecall,
)

__all__ = [
    "DensityCoverage",
    "FrechetDistance",
    "InceptionScore",
    "KernelDistance",
    "PrecisionRecall",
    "activation_statistics",
    "cluster_accuracy",
    "contingency_matrix",
    "density_coverage",
    "fid_from_activations",
    "frechet_distance",
    "inception_score",
    "kernel_inception_distance",
    "kmeans_accuracy",
    "kmeans_clusters",
    "mode_collapse_report",
    "normalized_mutual_information",
    "parzen_evaluate",
    "parzen_log_likelihood",
    "precision_recall",
    "select_parzen_sigma",
]
