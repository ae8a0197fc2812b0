"""InfoGAN presets in the zoo (`zoo/manifest.json` has their files, cards and metrics)."""

PRESETS = ("infogan_fashion_mnist",)
