"""GAN presets in the zoo (`zoo/manifest.json` has their files, cards and metrics)."""

PRESETS = ("gan_fashion_mnist",)
