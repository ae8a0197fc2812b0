"""The GAN-CLS family: text options, captioned runs, `generate-text`, TFLite, zoo."""

from __future__ import annotations

import os
import types

from keras_gans.demo.spec import DemoSpec
from keras_gans.export.spec import TFLiteSpec
from keras_gans.models.family import Family, model_default, require_family
from keras_gans.models.gan_cls import figures as text_figures
from keras_gans.models.gan_cls import runs, tflite, zoo
from keras_gans.models.gan_cls.gan_cls import GANCLS
from keras_gans.runs.spec import RunOption, RunSpec, spectral_norm_option
from keras_gans.validation import check_choice, check_int
from keras_gans.zoo.spec import ZooSpec


def _text_encoder(value):
    if not isinstance(value, str) or not value:
        raise ValueError(
            "Expected text_encoder to be a name or a path (a string); "
            f"received {value!r}."
        )
    return value


class GANCLSRuns(RunSpec):
    def build(self, config, text_encoder=None, preview_texts=None, **context):
        del context
        encoder, text_dim, previews = runs.conditions_and_previews(config, text_encoder)
        previews = preview_texts or previews
        return GANCLS(
            **self.model_kwargs(config),
            text_encoder=encoder,
            text_dim=text_dim,
            preview_texts=previews,
        )

    # --- Runs --------------------------------------------------------------------------

    def load_data(self, config):
        if config.data is not None:
            # A folder of pictures with captions: streamed, never all in memory.
            folder = runs.open_captioned_folder(config)
            return types.SimpleNamespace(folder=folder, captioned=None, conditions=None)
        return types.SimpleNamespace(
            captioned=runs.load_captioned(config), conditions=None, folder=None
        )

    def build_context(self, config, out_dir, data, verbose="auto"):
        context = {}
        if data.folder is not None:
            context["preview_texts"] = runs.folder_previews(data.folder)
        if config.text_encoder != runs.TRAIN_TEXT_ENCODER:
            return context
        captioned = data.captioned if data.folder is None else data.folder
        context["text_encoder"] = runs.pretrain_run_text_encoder(
            config, out_dir, captioned, verbose
        )
        return context

    def training_dataset(self, model, data, config):
        from keras_gans.data.captions import from_embeddings

        if data.folder is not None:
            dataset, data.conditions = runs.folder_conditions(
                model, data.folder, config
            )
            return dataset
        captioned = data.captioned
        # Each distinct caption embedded once, outside the training step.
        data.conditions = runs.gan_cls_conditions(
            model, captioned.captions, captioned.labels
        )
        return from_embeddings(
            captioned.images,
            data.conditions,
            batch_size=config.batch_size,
            seed=config.seed,
            labels=captioned.labels.astype("int32"),
        )

    def after_fit(self, model, config, data, verbose="auto"):
        # Reed et al. 4.4: the style encoder learns to invert the finished G.
        if not config.style_steps:
            return False
        conditions = data.conditions
        fit = model.fit_style_encoder(
            conditions.reshape(-1, conditions.shape[-1]),
            steps=config.style_steps,
            batch_size=config.batch_size,
            seed=config.seed,
            verbose=verbose not in (0, "0"),
        )
        print(f"Style encoder: explains {fit['explained']:.3f} of z's variance.")
        return True

    figures = {"interp": "interpolation.png", "style": "style_transfer.png"}

    def write_figures(self, model, out_dir, config):
        text_figures.save_gan_cls_figures(model, out_dir, config)

    # --- Command line ------------------------------------------------------------------

    def add_commands(self, subparsers):
        text = subparsers.add_parser(
            "generate-text",
            help="GAN-CLS: write a PNG with one row of generated images per caption",
        )
        text.add_argument("texts", nargs="+", help="one or more captions")
        text.add_argument("--model", required=True, help="run folder or .keras file")
        text.add_argument("--n", type=int, default=8, help="images per caption")
        text.add_argument("--seed", type=int, default=0)
        text.add_argument("--out", default="text_to_image.png")
        return {"generate-text": self._generate_text}

    def _generate_text(self, args, load_model):
        from keras_gans.images import save_captioned_grid

        model = require_family(
            load_model(args.model), self.family, "keras-gans generate-text"
        )
        if model.text_encoder is None:
            raise ValueError(
                "This GANCLS has no text encoder (it was trained on precomputed "
                "embeddings or one-hot classes), so it cannot read captions."
            )
        n = check_int("n", args.n, minimum=1)
        images = model.generate(args.texts, n_per_text=n, seed=args.seed)
        path = save_captioned_grid(images, args.texts, args.out, ncols=n)
        print(f"Wrote {len(args.texts)} caption(s) x {n} images to {path}")
        for i, text in enumerate(args.texts):
            print(f"  row {i}: {text}")
        return 0

    def sample_images(self, model, args):
        if not model.preview_texts:
            raise ValueError(
                "This GANCLS has no preview_texts; draw captions with "
                "keras-gans generate-text."
            )
        return super().sample_images(model, args)


class GANCLSDemo(DemoSpec):
    def views(self, target):
        from keras_gans.demo.views import SamplesView
        from keras_gans.models.gan_cls import demo

        # Seeds alone say nothing to a text-conditioned G: captions come first,
        # and the samples draw the preview captions.
        return [
            demo.CaptionView(),
            demo.CaptionInterpolationView(),
            demo.StyleTransferView(),
            SamplesView(),
        ]


class GANCLSTFLite(TFLiteSpec):
    def file_metadata(self, meta):
        return tflite.file_metadata(meta)

    def example_inputs(self, loaded, meta, latent, sample_extras, rng):
        embeddings = tflite.example_embeddings(
            loaded, meta, len(latent), sample_extras.get("texts"), rng
        )
        return {"text_embedding": embeddings}

    def programs(self, export_dir, meta, quantize, count, seed):
        if "tokenizer" not in meta:
            return {}
        return {
            "text_encoder": tflite.convert_text_encoder(
                export_dir, meta, quantize, count, seed
            )
        }

    def parity(self, export_dir, loaded, meta, program):
        return tflite.encoder_parity(loaded, meta, program)


class GANCLSZoo(ZooSpec):
    def metrics(self, pretrained, model, recipe, data_dir, n, seed):
        return zoo.caption_metrics(pretrained, data_dir, n, seed)

    def sample_grid(self, pretrained, path):
        return zoo.sample_grid(pretrained, path)

    grid_caption = "One row per preview caption, 8 noise vectors (seed 0)."

    def card_usage(self):
        return [
            'boots = gan.text_to_image(["a dark ankle boot"] * 4, seed=0)',
            "# generate() draws the preview captions below, cycled.",
        ]

    headline_metrics = (("class_agreement", "caption class agreement"),)


FAMILY = Family(
    name="gan_cls",
    model_class=GANCLS,
    description="Reed et al. 2016: text to image, GAN-INT, style transfer",
    runs=GANCLSRuns(
        default_dataset="fashion_captions",
        options=(
            spectral_norm_option(),
            RunOption(
                "condition",
                default=runs.CONDITIONS[0],
                check=lambda v: check_choice("condition", v, runs.CONDITIONS),
                choices=runs.CONDITIONS,
                help="train on caption embeddings, or on one-hot classes (the "
                "class-conditional baseline)",
                model_argument=None,
            ),
            RunOption(
                "text_encoder",
                default="fashion_captions",
                check=_text_encoder,
                help="'fashion_captions' (shipped), a .keras file, a SavedModel "
                f"folder, or {runs.TRAIN_TEXT_ENCODER!r} (pretrained on the run's "
                "captions)",
                model_argument=None,
            ),
            RunOption.integer(
                "projection_dim", help="size of the projected text embedding in G and D"
            ),
            RunOption.number(
                "interpolation_weight",
                help="weight of GAN-INT's interpolated-text term; 0 for plain GAN-CLS",
            ),
            RunOption.number("beta", maximum=1, help="GAN-INT's mixing weight"),
            RunOption.integer(
                "style_steps",
                minimum=0,
                default=model_default(GANCLS, "steps", method="fit_style_encoder"),
                help="steps of style-encoder training after the GAN",
                model_argument=None,
            ),
            RunOption(
                "captions_dir",
                default=None,
                check=lambda v: None if v is None else os.fspath(v),
                help="caltech_birds2011, or --data with a parallel caption tree: "
                "the folder of Reed et al.'s CUB captions (text_c10); with --data "
                "and none, captions come from a metadata.jsonl or .txt files "
                "beside the pictures",
                model_argument=None,
                # A location, like data_dir: it may change when a run resumes.
                resumable=True,
            ),
        ),
    ),
    demo=GANCLSDemo(),
    tflite=GANCLSTFLite(),
    zoo=GANCLSZoo(),
)
