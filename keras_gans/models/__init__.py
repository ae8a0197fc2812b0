"""The model zoo's classes."""

from keras_gans.models.adversarial_model import AdversarialModel
from keras_gans.models.dcgan import DCGAN
from keras_gans.models.gan import GAN
from keras_gans.models.gan_cls import GANCLS
from keras_gans.models.infogan import InfoGAN

__all__ = ["AdversarialModel", "DCGAN", "GAN", "GANCLS", "InfoGAN"]
