"""Writes small picture files for tests of loading folders of pictures.

Every function takes a folder, writes a few tiny files into it in well under
a second, and returns what a test should expect from them. The same
arguments always write the same pixels.

    from image_files import write_bad_files, write_mixed_images

    records = write_mixed_images(tmp_path)           # good, every format/mode
    kinds = write_bad_files(tmp_path / "bad")        # path -> what is wrong
"""

import dataclasses
import io
import json
import os
import pathlib
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw

# Sizes of the good pictures (width, height): mixed aspect ratios, none
# under 32 pixels a side, so all pass a minimum of 16x16.
SIZES = [(48, 32), (64, 64), (100, 80), (32, 90)]

# One colour per good picture, in the order written (wraps around).
COLOURS = [
    (200, 40, 40),
    (40, 160, 60),
    (50, 80, 200),
    (230, 200, 40),
    (150, 60, 170),
    (40, 180, 190),
    (240, 130, 30),
    (120, 120, 120),
]
RED = (255, 0, 0)
BLUE = (0, 0, 255)
ALPHA = 128  # of the semi-transparent pictures

# The kinds of good pictures write_mixed_images writes: name -> (format,
# extensions used in turn, mode as written).
MIXED_KINDS = {
    "jpeg_rgb": ("JPEG", [".jpg", ".JPEG"], "RGB"),
    "jpeg_grey": ("JPEG", [".jpg"], "L"),
    "jpeg_cmyk": ("JPEG", [".jpg"], "CMYK"),
    "jpeg_exif_rotated": ("JPEG", [".jpeg"], "RGB"),
    "png_rgb": ("PNG", [".png"], "RGB"),
    "png_rgba": ("PNG", [".png"], "RGBA"),
    "png_palette": ("PNG", [".png"], "P"),
    "png_palette_transparent": ("PNG", [".png"], "P"),
    "png_grey16": ("PNG", [".png"], "I;16"),
    "png_grey_alpha": ("PNG", [".png"], "LA"),
    "webp": ("WEBP", [".webp"], "RGB"),
    "bmp": ("BMP", [".bmp"], "RGB"),
    "gif_animated": ("GIF", [".gif"], "P"),
}

# Kinds of write_bad_files's files.
BAD_KINDS = (
    "corrupt",
    "truncated",
    "empty",
    "not_an_image",
    "bomb",
    "not_regular",
    "dangling_link",
    "link_loop",
    "too_small",
)
# The directory link write_bad_files makes: `links/loop -> ..`, the folder
# itself. It is in no returned dict (it is no file); a walk that follows
# directory links without remembering where it has been never ends.
DIR_LINK_LOOP = "links/loop"
BOMB_SIZE = (100_000, 100_000)

# CelebA's aligned pictures: 178 wide, 218 high.
CELEBA_SIZE = (178, 218)
# The stand-in face (left, top, right, bottom): a skin ellipse centred in the
# picture, inside the usual 140x140 and 108x108 centre crops.
CELEBA_FACE_BOX = (49, 59, 129, 159)
CELEBA_SKIN = (224, 172, 138)

# The first classes of CUB-200-2011, with their files' spelling of the name.
CUB_CLASSES = [
    ("001.Black_footed_Albatross", "Black_Footed_Albatross"),
    ("002.Laysan_Albatross", "Laysan_Albatross"),
    ("003.Sooty_Albatross", "Sooty_Albatross"),
    ("004.Groove_billed_Ani", "Groove_Billed_Ani"),
    ("005.Crested_Auklet", "Crested_Auklet"),
    ("006.Least_Auklet", "Least_Auklet"),
    ("007.Parakeet_Auklet", "Parakeet_Auklet"),
    ("008.Rhinoceros_Auklet", "Rhinoceros_Auklet"),
    ("009.Brewer_Blackbird", "Brewer_Blackbird"),
    ("010.Red_winged_Blackbird", "Red_Winged_Blackbird"),
]
CUB_SIZES = [(500, 375), (500, 333), (375, 500), (500, 400), (448, 500)]
CUB_BODY_COLOURS = {
    "red": (200, 30, 30),
    "yellow": (230, 210, 40),
    "blue": (40, 70, 200),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
}

# Captioned pictures: the caption names the colour and the shape.
CAPTION_COLOURS = {
    "red": (220, 20, 20),
    "green": (20, 180, 40),
    "blue": (30, 40, 220),
    "yellow": (240, 220, 20),
}
CAPTION_SHAPES = ("square", "circle", "triangle")


@dataclasses.dataclass
class ImageRecord:
    """A good picture write_mixed_images wrote.

    Attributes:
        path: Path relative to the folder, with "/" separators.
        format: Pillow's format name ("JPEG", "PNG", ...).
        mode: Pillow's mode when the file is opened again (as written, except
            that Pillow opens CMYK JPEGs as "CMYK" and the GIF as "P").
        size: (width, height) of the stored pixels.
        colour: The RGB every pixel has after a correct conversion (16-bit
            grey scaled by 1/257, CMYK through Pillow, alpha not composited),
            or `None` where `expect` says more. JPEG and lossy formats are
            within a few levels of it.
        alpha: The alpha of every pixel: 255, or `ALPHA` for the
            semi-transparent kinds.
        expect: `None`, or a dict for the special kinds: the GIF's
            `first_frame` / `second_frame` colours; the rotated JPEG's
            `exif_orientation`, `oriented_size`, `top` and `bottom` colours.
        kind: The key of `MIXED_KINDS` ("png_grey16", ...).
    """

    path: str
    format: str
    mode: str
    size: tuple
    colour: tuple | None
    alpha: int = 255
    expect: dict | None = None
    kind: str = ""


def _save(image, path, format, **options):
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format, **options)


def _good_image(kind, colour, size):
    """(image, save options, colour, alpha, expect) of one kind of picture."""
    grey = round(sum(colour) / 3)
    if kind in ("jpeg_rgb", "png_rgb", "webp", "bmp"):
        options = {"lossless": True} if kind == "webp" else {}
        if kind == "jpeg_rgb":
            options = {"quality": 95}
        return Image.new("RGB", size, colour), options, colour, 255, None
    if kind == "jpeg_grey":
        return Image.new("L", size, grey), {"quality": 95}, (grey,) * 3, 255, None
    if kind == "jpeg_cmyk":
        # With K = 0 Pillow's CMYK -> RGB is 255 - C, 255 - M, 255 - Y.
        cmyk = tuple(255 - c for c in colour) + (0,)
        return Image.new("CMYK", size, cmyk), {"quality": 95}, colour, 255, None
    if kind == "png_rgba":
        return Image.new("RGBA", size, colour + (ALPHA,)), {}, colour, ALPHA, None
    if kind == "png_palette":
        image = Image.new("P", size, 0)
        image.putpalette(list(colour) + [0, 0, 0] * 255)
        return image, {}, colour, 255, None
    if kind == "png_palette_transparent":
        # Twemoji's PNGs are palette pictures with a tRNS alpha per entry.
        image = Image.new("P", size, 0)
        image.putpalette(list(colour) + [0, 0, 0] * 255)
        return image, {"transparency": bytes([ALPHA])}, colour, ALPHA, None
    if kind == "png_grey16":
        pixels = np.full(size[::-1], grey * 257, np.uint16)
        return Image.fromarray(pixels), {}, (grey,) * 3, 255, None
    if kind == "png_grey_alpha":
        return Image.new("LA", size, (grey, ALPHA)), {}, (grey,) * 3, ALPHA, None
    if kind == "gif_animated":
        first, second = Image.new("RGB", size, RED), Image.new("RGB", size, BLUE)
        options = {"save_all": True, "append_images": [second], "duration": 100}
        expect = {"first_frame": RED, "second_frame": BLUE, "frames": 2}
        return first, options, RED, 255, expect
    if kind == "jpeg_exif_rotated":
        # Stored: left half red, right half blue. Orientation 6 says "turn
        # 90 degrees clockwise to show": then red is on top, blue below.
        width, height = size
        image = Image.new("RGB", size, RED)
        image.paste(BLUE, (width // 2, 0, width, height))
        exif = Image.Exif()
        exif[0x0112] = 6
        expect = {
            "exif_orientation": 6,
            "oriented_size": (height, width),
            "top": RED,
            "bottom": BLUE,
        }
        return image, {"quality": 95, "exif": exif}, None, 255, expect
    raise ValueError(f"Expected one of {sorted(MIXED_KINDS)}, received {kind!r}")


def write_mixed_images(folder, n_each=2):
    """Writes `n_each` good pictures of every kind in `MIXED_KINDS`.

    Sizes go through `SIZES` and colours through `COLOURS`; every second
    picture of a kind goes into `nested/deeper/`. JPEG RGB pictures alternate
    `.jpg` and `.JPEG` extensions.

    Args:
        folder: Folder to write into (created if needed).
        n_each: Pictures per kind. Defaults to `2`.

    Returns:
        A list of `ImageRecord`, in the order written.
    """
    folder = pathlib.Path(folder)
    records = []
    count = 0
    for kind, (format, extensions, _) in MIXED_KINDS.items():
        for i in range(n_each):
            size = SIZES[count % len(SIZES)]
            colour = COLOURS[count % len(COLOURS)]
            count += 1
            image, options, colour, alpha, expect = _good_image(kind, colour, size)
            extension = extensions[i % len(extensions)]
            relative = f"{kind}_{i}{extension}"
            if i % 2:
                relative = f"nested/deeper/{relative}"
            _save(image, folder / relative, format, **options)
            with Image.open(folder / relative) as written:
                mode = written.mode
            records.append(
                ImageRecord(relative, format, mode, size, colour, alpha, expect, kind)
            )
    return records


def _noise_image(size, seed, mode="RGB"):
    """Random pixels: they compress badly, so a cut file loses real data."""
    channels = len(mode)
    pixels = np.random.default_rng(seed).integers(
        0, 256, (size[1], size[0], channels), np.uint8
    )
    return Image.fromarray(pixels if channels > 1 else pixels[..., 0], mode)


def _encoded(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def _bomb_png(width, height):
    """A 1-bit PNG whose header says width x height; only a few rows of data.

    A few hundred bytes on disk. Pillow refuses it in `Image.open` (over
    twice `Image.MAX_IMAGE_PIXELS`: DecompressionBombError); a reader that
    switched the check off would try to allocate width x height pixels.
    """

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" + bytes((width + 7) // 8)
    data = zlib.compress(row * 8, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


def write_bad_files(folder):
    """Writes one file (or link) of every bad kind into `folder`.

    Kinds, as in `BAD_KINDS`: random bytes named `.jpg` (corrupt); a JPEG and
    a PNG cut in half (truncated); a zero-byte `.png` (empty); text named
    `.jpg` (not_an_image); a PNG claiming `BOMB_SIZE` pixels (bomb); a FIFO
    named `.png`, which blocks whoever opens it for reading (not_regular;
    left out where `os.mkfifo` is missing); a link to a missing file
    (dangling_link); two `.png` links pointing at each other (link_loop); an
    8x8 PNG (too_small). Also the directory link `DIR_LINK_LOOP` (`..`),
    which is not in the returned dict.

    Args:
        folder: Folder to write into (created if needed).

    Returns:
        A dict {relative path: kind}.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = {}

    def write(name, data, kind):
        (folder / name).write_bytes(data)
        kinds[name] = kind

    # Starts with neither a JPEG's FF D8 nor any other format's magic.
    write("corrupt.jpg", b"\x00" + np.random.default_rng(0).bytes(2047), "corrupt")
    jpeg = _encoded(_noise_image((64, 64), 1), "JPEG", quality=90)
    write("truncated.jpg", jpeg[: len(jpeg) // 2], "truncated")
    png = _encoded(_noise_image((64, 64), 2), "PNG")
    write("truncated.png", png[: len(png) // 2], "truncated")
    write("empty.png", b"", "empty")
    write("not_an_image.jpg", b"This is a text file, not a picture.\n", "not_an_image")
    write("bomb.png", _bomb_png(*BOMB_SIZE), "bomb")
    write("too_small.png", _encoded(Image.new("RGB", (8, 8), RED), "PNG"), "too_small")
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.png")
        kinds["fifo.png"] = "not_regular"
    os.symlink("does_not_exist.jpg", folder / "dangling.jpg")
    kinds["dangling.jpg"] = "dangling_link"
    os.symlink("loop_b.png", folder / "loop_a.png")
    os.symlink("loop_a.png", folder / "loop_b.png")
    kinds["loop_a.png"] = kinds["loop_b.png"] = "link_loop"
    (folder / DIR_LINK_LOOP).parent.mkdir(exist_ok=True)
    os.symlink("..", folder / DIR_LINK_LOOP, target_is_directory=True)
    return kinds


def write_celeba_standin(folder, n=20):
    """Writes CelebA's layout with `n` stand-in faces.

    `img_align_celeba/000001.jpg ...`: 178x218 JPEGs of a skin-coloured
    ellipse (`CELEBA_FACE_BOX`) with dark eyes and mouth on a background of
    its own colour; and `list_eval_partition.txt` ("000001.jpg 0" lines: the
    first 80% train 0, then 10% validation 1, the rest test 2).

    Args:
        folder: Folder to write into (created if needed).
        n: Number of pictures. Defaults to `20`.

    Returns:
        The `img_align_celeba` folder.
    """
    images = pathlib.Path(folder) / "img_align_celeba"
    images.mkdir(parents=True, exist_ok=True)
    left, top, right, bottom = CELEBA_FACE_BOX
    middle = (left + right) // 2
    lines = []
    for i in range(1, n + 1):
        background = COLOURS[i % len(COLOURS)]
        image = Image.new("RGB", CELEBA_SIZE, background)
        draw = ImageDraw.Draw(image)
        draw.ellipse(CELEBA_FACE_BOX, fill=CELEBA_SKIN)
        eye_y = top + (bottom - top) * 2 // 5
        for eye_x in (middle - 17, middle + 17):
            draw.ellipse(
                (eye_x - 5, eye_y - 4, eye_x + 5, eye_y + 4), fill=(40, 30, 30)
            )
        mouth_y = top + (bottom - top) * 3 // 4
        draw.rectangle(
            (middle - 15, mouth_y - 2, middle + 15, mouth_y + 2), fill=(150, 50, 60)
        )
        name = f"{i:06d}.jpg"
        image.save(images / name, "JPEG", quality=90)
        split = 0 if i <= 0.8 * n else 1 if i <= 0.9 * n else 2
        lines.append(f"{name} {split}\n")
    (images.parent / "list_eval_partition.txt").write_text("".join(lines))
    return images


@dataclasses.dataclass
class CubPaths:
    """Where write_cub_standin wrote: the pictures' and the captions' roots."""

    images: pathlib.Path
    text: pathlib.Path


def _cub_captions(colour_name, shape):
    return [
        f"this bird has a {colour_name} body and a short beak.",
        f"a small bird with {colour_name} feathers and a {shape} tail.",
        f"this is a {colour_name} bird with black eyes.",
        f"the bird is mostly {colour_name} with a pointed bill.",
        f"a {colour_name} bird perched on a branch.",
        f"this bird has {colour_name} wings and a {colour_name} breast.",
        f"a bird with a {colour_name} crown and a short neck.",
        f"this {colour_name} bird has a {shape} tail and thin legs.",
        f"the small {colour_name} bird has a round head.",
        f"a {colour_name} bird with a {shape} tail and dark feet.",
    ]


def write_cub_standin(folder, n_classes=3, per_class=4):
    """Writes CUB-200-2011's layout with Reed et al.'s caption tree beside it.

    Pictures: `CUB_200_2011/images/001.Black_footed_Albatross/
    Black_Footed_Albatross_0001_796111.jpg` (class folders `NNN.Name`, file
    names in the files' own capitalisation, sizes from `CUB_SIZES`): a bird-
    like ellipse in the class's colour (`CUB_BODY_COLOURS`, in turn) on sky
    blue. With them CUB's `classes.txt`, `images.txt`,
    `image_class_labels.txt`, `train_test_split.txt` and `bounding_boxes.txt`
    (the ellipse's box, "x y width height").

    Captions: `cvpr2016_cub/text_c10/<class>/<file>.txt`, 10 lines each,
    naming the class's colour.

    Args:
        folder: Folder to write into (created if needed).
        n_classes: Number of classes, up to 10 real names; more are named
            `NNN.Synthetic_Bird_N`. Defaults to `3`.
        per_class: Pictures per class. Defaults to `4`.

    Returns:
        A `CubPaths` (images root, text root).
    """
    folder = pathlib.Path(folder)
    images = folder / "CUB_200_2011" / "images"
    text = folder / "cvpr2016_cub" / "text_c10"
    rng = np.random.default_rng(0)
    colour_names = list(CUB_BODY_COLOURS)
    tables = {name: [] for name in ("classes", "images", "image_class_labels")}
    tables.update(train_test_split=[], bounding_boxes=[])
    image_id = 0
    for c in range(1, n_classes + 1):
        if c <= len(CUB_CLASSES):
            class_dir, file_stem = CUB_CLASSES[c - 1]
        else:
            class_dir, file_stem = f"{c:03d}.Synthetic_Bird_{c}", f"Synthetic_Bird_{c}"
        tables["classes"].append(f"{c} {class_dir}")
        colour_name = colour_names[(c - 1) % len(colour_names)]
        (images / class_dir).mkdir(parents=True, exist_ok=True)
        (text / class_dir).mkdir(parents=True, exist_ok=True)
        for k in range(1, per_class + 1):
            image_id += 1
            name = f"{file_stem}_{k:04d}_{int(rng.integers(100, 800_000))}"
            width, height = size = CUB_SIZES[(image_id - 1) % len(CUB_SIZES)]
            box = (width // 5, height // 4, width * 4 // 5, height * 3 // 4)
            image = Image.new("RGB", size, (135, 190, 235))
            draw = ImageDraw.Draw(image)
            draw.ellipse(box, fill=CUB_BODY_COLOURS[colour_name])
            image.save(images / class_dir / f"{name}.jpg", "JPEG", quality=90)
            shape = ("forked", "rounded", "square")[k % 3]
            captions = _cub_captions(colour_name, shape)
            (text / class_dir / f"{name}.txt").write_text("\n".join(captions) + "\n")
            relative = f"{class_dir}/{name}.jpg"
            tables["images"].append(f"{image_id} {relative}")
            tables["image_class_labels"].append(f"{image_id} {c}")
            tables["train_test_split"].append(f"{image_id} {int(k % 2 == 1)}")
            x, y, right, bottom = box
            tables["bounding_boxes"].append(
                f"{image_id} {x:.1f} {y:.1f} {right - x:.1f} {bottom - y:.1f}"
            )
    for name, lines in tables.items():
        (images.parent / f"{name}.txt").write_text("\n".join(lines) + "\n")
    return CubPaths(images=images, text=text)


def _shape_image(colour, shape, size=32):
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    box = (4, 4, size - 5, size - 5)
    if shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape == "circle":
        draw.ellipse(box, fill=colour)
    else:
        draw.polygon([(4, size - 5), (size // 2, 4), (size - 5, size - 5)], fill=colour)
    return image


def write_captioned_folder(folder, style, n=12):
    """Writes `n` captioned 32x32 PNGs: a coloured shape on white.

    The caption names the picture's colour and shape ("a red square"), so a
    test can check pairing from the pixels: the centre pixel has the colour
    of `CAPTION_COLOURS[<colour word>]`. Pictures go through every colour
    and shape in turn (12 distinct pairs); every third one goes into `sub/`.

    Args:
        folder: Folder to write into (created if needed).
        style: "txt": `name.txt` beside each `name.png`, one caption a line
            (every second picture has two lines); "jsonl": one
            `metadata.jsonl` in `folder` with lines {"file_name": "sub/x.png",
            "text": "..."}, as Hugging Face's imagefolder reads them (paths
            relative to the folder holding metadata.jsonl).
        n: Number of pictures. Defaults to `12`.

    Returns:
        A dict {relative path of the picture: [captions]}.
    """
    if style not in ("txt", "jsonl"):
        raise ValueError(f'Expected style "txt" or "jsonl", received {style!r}')
    folder = pathlib.Path(folder)
    captions = {}
    colour_names = list(CAPTION_COLOURS)
    for i in range(n):
        colour_name = colour_names[i % len(colour_names)]
        shape = CAPTION_SHAPES[(i // len(colour_names)) % len(CAPTION_SHAPES)]
        # Names say nothing of the caption: pairing is checked on pixels.
        relative = f"{'sub/' if i % 3 == 2 else ''}img_{i:02d}.png"
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        _shape_image(CAPTION_COLOURS[colour_name], shape).save(path, "PNG")
        lines = [f"a {colour_name} {shape}"]
        if style == "txt" and i % 2:
            lines.append(f"a {shape} coloured {colour_name} on white")
        captions[relative] = lines
        if style == "txt":
            path.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    if style == "jsonl":
        rows = [
            json.dumps({"file_name": relative, "text": lines[0]})
            for relative, lines in captions.items()
        ]
        (folder / "metadata.jsonl").write_text("\n".join(rows) + "\n")
    return captions
