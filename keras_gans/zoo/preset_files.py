"""The files of a preset folder, read and checked, whatever model they hold.

    preset.json    format, family, class, Keras version, compile settings
    model.keras    every network and the noise state, no optimizer state
    saved_model/   the generator in TF Serving's layout (`load_pretrained`)

Errors name the file by its path, or as `<file> in <source>` for a folder
unpacked from an archive, a URL or a zoo name (`keras_gans.zoo.presets`).
Like keras-hub's `preset_utils`, this module knows no model class: the
class of a preset's model is the one its `model.keras` names (its Keras
registered name), checked before anything is built.
"""

from __future__ import annotations

import json
import pathlib
import zipfile
import zlib

from keras_gans.validation import describe_error

PRESET_FILE = "preset.json"
MODEL_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"
# The one format read and written: 2, a preset folder. (1 was the first zoo
# archives' bare SavedModel, which `keras_gans.zoo.load_pretrained` serves.)
FORMAT_VERSION = 2
# Written into an unpacked folder last, before it is renamed into place:
# the archive's full sha256. A folder is trusted only if it holds this
# record of its own digest, so it was unpacked whole from that archive.
UNPACKED_STAMP = ".keras_gans-unpacked.json"


class NotAPresetError(ValueError):
    """A folder or archive that holds no preset (or only a SavedModel)."""


class PresetClassError(ValueError):
    """A preset whose model is not of the class the caller asked for."""


_JSON_TYPES = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def named_file(folder, name, source):
    """How errors name file `name` of `folder`: by its path, or in `source`."""
    return f"{name} in {source}" if source else str(pathlib.Path(folder) / name)


def read_preset_file(folder, source=None):
    """The `preset.json` of a preset folder, as a dict.

    Args:
        folder: the preset folder.
        source: how errors name where the folder came from (an archive, a
            URL or a zoo name unpacked into the cache). Defaults to `None`:
            they name the file's path.

    Raises:
        NotAPresetError: the folder holds no `preset.json` (the message says
            what it holds), or one that is not UTF-8, not JSON or not a JSON
            object.
    """
    path = pathlib.Path(folder) / PRESET_FILE
    if not path.is_file():
        held = sorted(p.name for p in pathlib.Path(folder).iterdir())
        what = (
            "a bare SavedModel (a zoo archive from before presets held the "
            "Keras model: serve it with keras_gans.zoo.load_pretrained)"
            if "saved_model.pb" in held
            else f"{[name for name in held if name != UNPACKED_STAMP]}"
        )
        raise NotAPresetError(
            f"Expected a preset folder with {PRESET_FILE} and {MODEL_FILE} "
            f"(written by model.save_to_preset); {source or folder} holds {what}."
        )
    named = named_file(folder, PRESET_FILE, source)
    expected = f"Expected {named} to hold a JSON object (format, family, class)"
    try:
        info = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise NotAPresetError(
            f"{expected}; received bytes that are not UTF-8 text ({e.reason} at "
            f"byte {e.start})."
        ) from None
    except json.JSONDecodeError as e:
        raise NotAPresetError(
            f"{expected}; received text that is not JSON ({e.msg} at line "
            f"{e.lineno}, column {e.colno})."
        ) from None
    if not isinstance(info, dict):
        what = _JSON_TYPES.get(type(info), type(info).__name__)
        raise NotAPresetError(f"{expected}; received a JSON {what}.")
    return info


def check_preset_file(folder, info, source=None):
    """`info`'s format version and compile settings, or NotAPresetError."""
    path = named_file(folder, PRESET_FILE, source)
    version = info.get("format_version", 0)
    if isinstance(version, bool) or not isinstance(version, int):
        raise NotAPresetError(
            f"Expected `format_version` in {path} to be an int; received {version!r}."
        )
    if version != FORMAT_VERSION:
        came = (
            f"says format {version}"
            if "format_version" in info
            else "has no `format_version` (format 0)"
        )
        do = (
            "upgrade keras_gans to read it"
            if version > FORMAT_VERSION
            else "re-save it with model.save_to_preset(...) from a keras_gans that "
            f"read it, or load its {MODEL_FILE} with keras.saving.load_model"
        )
        raise NotAPresetError(
            f"Expected a preset of format {FORMAT_VERSION}, the one this keras_gans "
            f"reads; {path} {came}: {do}."
        )
    compile_config = info.get("compile")
    if compile_config is not None and not isinstance(compile_config, dict):
        raise NotAPresetError(
            f"Expected `compile` in {path} to be a JSON object or null; received "
            f"{compile_config!r:.80}."
        )
    return compile_config


def model_class(folder, source=None):
    """The class `model.keras` names, resolved as Keras will, or NotAPresetError.

    Read from the file's `config.json` (its Keras registered name, as in
    keras-hub's `check_config_class`) before anything is built, so that a
    file naming another class is refused without running its code. A
    preset holds a model that saves itself as one: a `keras.Model` with
    `save_to_preset` (keras_gans's `AdversarialModel`, `LikelihoodModel`
    and their subclasses).
    """
    import keras

    from keras_gans.trust import keras_file_damage

    path = pathlib.Path(folder) / MODEL_FILE
    named = named_file(folder, MODEL_FILE, source)
    expected = f"Expected {named} to be a Keras model file (a .keras zip)"
    if not path.is_file():
        raise NotAPresetError(f"{expected}; it is missing.")
    # Keras reports a truncated or empty file as "File not found", and a CRC
    # error as a traceback: say what the file is before Keras reads it.
    damage = keras_file_damage(path)
    if damage is not None:
        raise NotAPresetError(f"{expected}; found {damage}.")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json").decode("utf-8"))
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as e:
        raise NotAPresetError(
            f"{expected} with a config.json; {describe_error(e)}."
        ) from None
    config = config if isinstance(config, dict) else {}
    name = config.get("registered_name") or config.get("class_name")
    found = keras.saving.get_registered_object(name) if isinstance(name, str) else None
    if (
        isinstance(found, type)
        and issubclass(found, keras.Model)
        and callable(getattr(found, "save_to_preset", None))
    ):
        return found
    if isinstance(found, type):
        what = f"a {found.__module__}.{found.__qualname__}"
    elif isinstance(name, str) and ">" in name:
        what = f"{name!r}, a class that no package imported here registered with Keras"
    else:
        parts = [str(config[key]) for key in ("module", "class_name") if config.get(key)]
        what = f"a {'.'.join(parts)}" if parts else "a config that names no class"
    raise NotAPresetError(
        f"Expected {named} to hold a keras_gans model (an AdversarialModel or "
        f"LikelihoodModel, or a subclass); received {what}."
    )


def load_model_file(folder, source=None, safe_mode=True):
    """The model in a preset's `model.keras`, uncompiled.

    Call `model_class` first: it has read the whole archive (`keras_file_damage`)
    and the class it names, so this reads the file once more, in Keras.
    """
    import keras

    path = pathlib.Path(folder) / MODEL_FILE
    # Only a damaged archive is reworded, naming the preset rather than the
    # cache: Keras's own refusals (safe mode, `keras_gans.trust`) pass through.
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=safe_mode)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as e:
        raise NotAPresetError(
            f"Expected {named_file(folder, MODEL_FILE, source)} to be a Keras "
            f"model file (a .keras zip); it could not be read (corrupt): "
            f"{describe_error(e)}."
        ) from e
