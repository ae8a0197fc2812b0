"""Every family passes the same checks (`keras_gans.testing.FamilyTestCase`)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.latent import LatentSpec
from keras_gans.models import registry
from keras_gans.testing import FamilyTestCase
from keras_gans.text import TextEncoder

CAPTIONS = ["a dark ankle boot", "a pale slim dress", "a wide grey coat", "a bag"]


def images(n, shape, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)


def seeded(make):
    def make_seeded():
        keras.utils.set_random_seed(0)
        return make()

    return make_seeded


class TestGAN(FamilyTestCase):
    def test_family(self, tmp_path):
        self.run_family_checks(
            seeded(
                lambda: keras_gans.GAN(
                    data_shape=(8, 8, 1),
                    latent_dim=4,
                    g_units=(16,),
                    d_units=(8,),
                    d_pieces=2,
                    seed=1,
                )
            ),
            images(16, (8, 8, 1)),
            tmp_path,
        )


class TestDCGAN(FamilyTestCase):
    def test_family(self, tmp_path):
        self.run_family_checks(
            seeded(
                lambda: keras_gans.DCGAN(
                    image_shape=(16, 16, 1),
                    latent_dim=8,
                    g_filters=4,
                    d_filters=4,
                    seed=1,
                )
            ),
            images(16, (16, 16, 1)),
            tmp_path,
        )


class TestInfoGAN(FamilyTestCase):
    def test_family(self, tmp_path):
        spec = LatentSpec(noise_dim=4, categorical=(3,), continuous=1)
        self.run_family_checks(
            seeded(
                lambda: keras_gans.InfoGAN(
                    image_shape=(16, 16, 1),
                    latent_spec=spec,
                    g_filters=4,
                    d_filters=4,
                    hidden=16,
                    q_hidden=8,
                    seed=1,
                )
            ),
            images(16, (16, 16, 1)),
            tmp_path,
            signatures=("sample", "generate_with_codes"),
        )


class TestGANCLS(FamilyTestCase):
    def test_family(self, tmp_path):
        encoder = TextEncoder(embedding_dim=8, token_dim=4, units=8).adapt(CAPTIONS)
        x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
        data = tf.data.Dataset.from_tensor_slices(
            (x, np.array(CAPTIONS * 4), np.arange(16) % 4)
        ).batch(8)
        self.run_family_checks(
            seeded(
                lambda: keras_gans.GANCLS(
                    text_encoder=encoder,
                    image_shape=(16, 16, 1),
                    latent_dim=8,
                    projection_dim=4,
                    g_filters=4,
                    d_filters=4,
                    seed=1,
                    preview_texts=CAPTIONS[:2],
                )
            ),
            data,
            tmp_path,
            signatures=("sample", "text_to_image", "embed_texts", "embed_tokens"),
            generate=lambda m: m.generate(CAPTIONS[:2], n_per_text=2, seed=0),
        )


class TestAdversarialModel(FamilyTestCase):
    def test_family(self, tmp_path):
        def make():
            g = keras.Sequential(
                [keras.Input((3,)), keras.layers.Dense(4, activation="tanh")]
            )
            d = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
            return keras_gans.AdversarialModel(g, d, seed=3)

        self.run_family_checks(seeded(make), images(16, (4,)), tmp_path)


def test_every_family_is_registered_with_its_class_and_presets():
    from keras_gans.zoo import load_manifest

    families = registry.families()
    likelihood = {"vae", "independent_pixels", "markov_chain", "made", "pixelcnn"}
    assert (
        set(families)
        == {"adversarial", "gan", "dcgan", "infogan", "gan_cls"} | likelihood
    )
    assert (
        set(registry.families(trainable=True))
        == {
            "gan",
            "dcgan",
            "infogan",
            "gan_cls",
        }
        | likelihood
    )
    manifest = load_manifest()["models"]
    for name, family in families.items():
        assert registry.family_of(family.model_class) is family
        # A family's presets are exactly the zoo entries of its kind.
        assert set(family.presets) == {
            n for n, e in manifest.items() if e.get("kind") == name
        }, name


def test_family_of_a_subclass_is_its_nearest_registered_class():
    class MyDCGAN(keras_gans.DCGAN):
        pass

    assert registry.family_of(MyDCGAN).name == "dcgan"
    with pytest.raises(
        registry.UnknownFamilyError, match="AdversarialModel or LikelihoodModel"
    ):
        registry.family_of(keras.Sequential)
    with pytest.raises(registry.UnknownFamilyError, match=r"one of \['dcgan', 'gan'"):
        registry.get_family("wgan_div", trainable=True)


def test_defaults_are_read_from_the_model():
    infogan = registry.get_family("infogan")
    options = {o.name: o for o in infogan.options}
    assert (
        options["hidden"].default
        == 1024
        == keras_gans.InfoGAN(image_shape=(16, 16, 1), hidden=1024).hidden
    )
    assert infogan.default_g_learning_rate() == keras_gans.InfoGAN.G_LEARNING_RATE
    assert infogan.default_latent_dim() == LatentSpec().noise_dim
    gan_cls = {o.name: o for o in registry.get_family("gan_cls").options}
    assert gan_cls["projection_dim"].default == 128
    assert gan_cls["style_steps"].default == 2000
    assert registry.get_family("dcgan").default_g_learning_rate() is None
