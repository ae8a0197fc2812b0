"""GAN-CLS presets in the zoo (`zoo/manifest.json` has their files, cards and metrics)."""

PRESETS = ("gan_cls_cub", "gan_cls_fashion_captions")
