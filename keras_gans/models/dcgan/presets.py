"""DCGAN presets in the zoo (`zoo/manifest.json` has their files, cards and metrics)."""

PRESETS = ("dcgan_celeba", "dcgan_emoji", "dcgan_fashion_mnist")
