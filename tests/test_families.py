"""Every family passes the same checks (`keras_gans.testing.FamilyTestCase`)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_gans
from keras_gans.latent import LatentSpec
from keras_gans.models import registry
from keras_gans.runs.spec import run_spec
from keras_gans.testing import FamilyTestCase
from keras_gans.text import TextEncoder

CAPTIONS = ["a dark ankle boot", "a pale slim dress", "a wide grey coat", "a bag"]


def images(n, shape, seed=0):
    x = np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype("float32")
    return tf.data.Dataset.from_tensor_slices(x).batch(8, drop_remainder=True)


class Case(FamilyTestCase):
    """One family's checks: `family` names it, `check` runs them."""

    family = None

    def check(self, cls, init_kwargs, data, tmp_path, **kwargs):
        assert registry.family_of(cls).name == self.family
        keras.utils.set_random_seed(0)
        return self.run_family_checks(cls, init_kwargs, data, tmp_path, **kwargs)


class TestGAN(Case):
    family = "gan"

    def test_family(self, tmp_path):
        self.check(
            keras_gans.GAN,
            {
                "data_shape": (8, 8, 1),
                "latent_dim": 4,
                "g_units": (16,),
                "d_units": (8,),
                "d_pieces": 2,
                "seed": 1,
            },
            images(16, (8, 8, 1)),
            tmp_path,
        )


class TestDCGAN(Case):
    family = "dcgan"

    def test_family(self, tmp_path):
        self.check(
            keras_gans.DCGAN,
            {
                "image_shape": (16, 16, 1),
                "latent_dim": 8,
                "g_filters": 4,
                "d_filters": 4,
                "seed": 1,
            },
            images(16, (16, 16, 1)),
            tmp_path,
        )


class TestInfoGAN(Case):
    family = "infogan"

    def test_family(self, tmp_path):
        spec = LatentSpec(noise_dim=4, categorical=(3,), continuous=1)
        self.check(
            keras_gans.InfoGAN,
            {
                "image_shape": (16, 16, 1),
                "latent_spec": spec,
                "g_filters": 4,
                "d_filters": 4,
                "hidden": 16,
                "q_hidden": 8,
                "seed": 1,
            },
            images(16, (16, 16, 1)),
            tmp_path,
            signatures=("sample", "generate_with_codes"),
        )


class TestGANCLS(Case):
    family = "gan_cls"

    def test_family(self, tmp_path):
        encoder = TextEncoder(embedding_dim=8, token_dim=4, units=8).adapt(CAPTIONS)
        x = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)).astype("float32")
        data = tf.data.Dataset.from_tensor_slices(
            (x, np.array(CAPTIONS * 4), np.arange(16) % 4)
        ).batch(8)
        self.check(
            keras_gans.GANCLS,
            {
                "text_encoder": encoder,
                "image_shape": (16, 16, 1),
                "latent_dim": 8,
                "projection_dim": 4,
                "g_filters": 4,
                "d_filters": 4,
                "seed": 1,
                "preview_texts": CAPTIONS[:2],
            },
            data,
            tmp_path,
            signatures=("sample", "text_to_image", "embed_texts", "embed_tokens"),
            generate=lambda m: m.generate(CAPTIONS[:2], n_per_text=2, seed=0),
        )


class TestAdversarialModel(Case):
    family = "adversarial"

    def test_family(self, tmp_path):
        g = keras.Sequential(
            [keras.Input((3,)), keras.layers.Dense(4, activation="tanh")]
        )
        d = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        self.check(
            keras_gans.AdversarialModel,
            {"generator": g, "discriminator": d, "seed": 3},
            images(16, (4,)),
            tmp_path,
        )


class TestVAE(Case):
    family = "vae"

    def test_family(self, tmp_path):
        self.check(
            keras_gans.VAE,
            {
                "image_shape": (8, 8, 1),
                "latent_dim": 3,
                "filters": (4,),
                "hidden": 8,
                "seed": 0,
            },
            images(16, (8, 8, 1)),
            tmp_path,
            signatures=("sample", "encode"),
        )


LADDER = [
    ("independent_pixels", keras_gans.IndependentPixels, {}),
    ("markov_chain", keras_gans.MarkovChain, {}),
    ("made", keras_gans.MADE, {"hidden": (16,)}),
    ("pixelcnn", keras_gans.PixelCNN, {"filters": 4, "blocks": 1, "levels": 256}),
]


class TestAutoregressive(Case):
    """The notes' ladder and PixelCNN, each at 4x4 pixels."""

    families = tuple(name for name, _, _ in LADDER)

    @pytest.mark.parametrize("name, cls, kwargs", LADDER, ids=[n for n, *_ in LADDER])
    def test_family(self, name, cls, kwargs, tmp_path):
        self.family = name
        self.check(
            cls,
            {"image_shape": (4, 4, 1), "seed": 0, **kwargs},
            images(16, (4, 4, 1)),
            tmp_path,
            signatures=("sample", "sample_from_uniforms", "log_prob"),
        )


def test_family_checks_cover_every_registered_family():
    """A family without a FamilyTestCase here fails this test."""
    covered = set()
    for case in Case.__subclasses__():
        covered |= set(getattr(case, "families", None) or (case.family,))
    assert covered == set(registry.BUILTIN_FAMILIES)
    assert set(registry.families()) >= covered


def test_every_family_is_registered_with_its_class_and_presets():
    from keras_gans.zoo import load_manifest, presets

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
    for family in families.values():
        assert registry.family_of(family.model_class) is family
    # Presets are data: the manifest names them, each under a registered
    # family (its `kind`), and the zoo reads a family's names from there.
    manifest = load_manifest()["models"]
    kinds = {e["kind"] for e in manifest.values()} - {"classifier"}
    assert kinds <= set(families)
    assert presets.names_of("dcgan") == (
        "dcgan_celeba",
        "dcgan_emoji",
        "dcgan_fashion_mnist",
    )
    assert presets.names_of("made") == ()


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
    infogan = run_spec(registry.get_family("infogan"))
    options = {o.name: o for o in infogan.options}
    assert (
        options["hidden"].default
        == 1024
        == keras_gans.InfoGAN(image_shape=(16, 16, 1), hidden=1024).hidden
    )
    assert (
        infogan.default_g_learning_rate()
        == keras_gans.InfoGAN.G_OPTIMIZER["learning_rate"]
    )
    assert infogan.default_latent_dim() == LatentSpec().noise_dim
    gan_cls = {o.name: o for o in run_spec(registry.get_family("gan_cls")).options}
    assert gan_cls["projection_dim"].default == 128
    assert gan_cls["style_steps"].default == 2000
    assert run_spec(registry.get_family("dcgan")).default_g_learning_rate() is None
