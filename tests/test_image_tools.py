"""tools/make_emoji_folder.py, tools/make_image_folder.py and the emoji fixture."""

import pathlib

import pytest
from PIL import Image

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "emoji"

EMOJI_TEST = """\
# group: Smileys & Emotion
# subgroup: face-smiling
1F600 ; fully-qualified # \N{GRINNING FACE} E1.0 grinning face
# group: People & Body
1F9D1 ; fully-qualified # x E5.0 person
# group: Symbols
0023 FE0F 20E3 ; fully-qualified # x E0.6 keycap: #
0023 20E3 ; unqualified # x E0.6 keycap: #
# group: Flags
1F1EB 1F1F7 ; fully-qualified # x E0.6 flag: France
"""


@pytest.fixture(scope="module")
def emoji_tool(load_tool):
    return load_tool("make_emoji_folder")


@pytest.fixture(scope="module")
def image_tool(load_tool):
    return load_tool("make_image_folder")


def test_emoji_names_find_their_groups(emoji_tool):
    entries = emoji_tool.parse_emoji_test(EMOJI_TEST)
    assert entries[(0x23, 0x20E3)] == ("symbols", "keycap: #")
    cases = {
        "1f600": ("smileys-emotion", "listed"),
        "23-20e3": ("symbols", "listed"),  # no leading zeros, no FE0F
        "1f9d1-1f3fb-200d-1fa70": ("people-body", "base"),  # newer sequence
        "1f1e8-1f1f6": ("flags", "flag"),  # a flag newer than the list
        "1f1e6": ("other", "none"),  # a lone regional indicator
        "e50a": ("other", "none"),
    }
    for stem, expected in cases.items():
        assert emoji_tool.group_of(stem, entries)[:2] == expected, stem


def _fake_twemoji(folder):
    folder.mkdir()
    for stem in ["1f600", "23-20e3", "1f9d1", "1f9d1-200d-1f384", "1f1eb-1f1f7"]:
        Image.new("RGBA", (8, 8), (255, 0, 0, 128)).save(folder / f"{stem}.png")
    return folder


def test_emoji_folder_copies_files_unchanged(emoji_tool, tmp_path):
    emoji_test = tmp_path / "emoji-test.txt"
    emoji_test.write_text(EMOJI_TEST, "utf-8")
    png_dir = _fake_twemoji(tmp_path / "png")
    out = tmp_path / "out"
    counts = emoji_tool.make_emoji_folder(out, emoji_test=emoji_test, png_dir=png_dir)
    assert counts == {"flags": 1, "people-body": 2, "smileys-emotion": 1, "symbols": 1}
    copied = out / "people-body" / "1f9d1-200d-1f384.png"
    assert copied.read_bytes() == (png_dir / copied.name).read_bytes()
    assert "CC-BY 4.0" in (out / "README.txt").read_text("utf-8")

    # Its own folder may be rewritten: the earlier files go, others stay.
    (out / "notes.md").write_text("mine")
    counts = emoji_tool.make_emoji_folder(
        out, limit_per_group=1, emoji_test=emoji_test, png_dir=png_dir
    )
    assert sum(counts.values()) == 4
    assert len(list(out.glob("*/*.png"))) == 4 and (out / "notes.md").exists()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "photo.jpg").write_bytes(b"x")
    with pytest.raises(SystemExit, match="did not write"):
        emoji_tool.make_emoji_folder(foreign, emoji_test=emoji_test, png_dir=png_dir)
    assert [p.name for p in foreign.iterdir()] == ["photo.jpg"]


def test_emoji_fixture_is_small_credited_and_listed():
    readme = (FIXTURE / "README.txt").read_text("utf-8")
    assert "CC-BY 4.0" in readme and "--limit-per-group 12 --seed 0" in readme
    rows = (FIXTURE / "files.tsv").read_text("utf-8").splitlines()[1:]
    files = sorted(p.relative_to(FIXTURE).as_posix() for p in FIXTURE.glob("*/*.png"))
    assert sorted(row.split("\t")[0] for row in rows) == files
    groups = {p.parent.name for p in FIXTURE.glob("*/*.png")}
    assert {"smileys-emotion", "animals-nature", "flags"} <= groups
    for group in groups:
        assert 1 <= len(list((FIXTURE / group).glob("*.png"))) <= 12
    assert sum(p.stat().st_size for p in FIXTURE.rglob("*")) < 300_000
    for name in files:
        with Image.open(FIXTURE / name) as image:
            assert image.size == (72, 72) and image.mode in ("P", "RGBA"), name


def test_image_folder_is_sharded_and_deterministic(image_tool, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        image_tool.make_image_folder(
            out, 25, size=16, max_size=24, per_folder=10, processes=1
        )
    shards = sorted(p.name for p in first.iterdir() if p.is_dir())
    assert shards == ["000", "001", "002"]
    files = sorted(p.relative_to(first).as_posix() for p in first.glob("*/*.jpg"))
    assert files[0] == "000/000000.jpg" and files[-1] == "002/000024.jpg"
    assert len(files) == 25
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()
    with Image.open(first / files[0]) as image:
        assert image.format == "JPEG" and 16 <= min(image.size) <= max(image.size) <= 24

    # Rewriting its own folder with fewer pictures leaves no old ones.
    image_tool.make_image_folder(first, 5, size=16, per_folder=10, processes=1)
    assert len(list(first.glob("*/*.jpg"))) == 5

    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit, match="did not write"):
        image_tool.make_image_folder(tmp_path / "c", 5, processes=1)
