"""The VAE family (Kingma and Welling 2014)."""

from keras_gans.models.vae.vae import VAE

__all__ = ["VAE"]
