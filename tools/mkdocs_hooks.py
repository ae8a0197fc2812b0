"""MkDocs hooks: the site's API pages, and the repository's own pages, offline.

`mkdocs.yml` names this file under `hooks:`. It does three things at build
time, reading only the repository (nothing is fetched):

- **API reference.** One page per public module, generated from the one
  declaration of the public surface: `keras_gans.PUBLIC_MODULES` and each
  module's `__all__` (read from the source, without importing TensorFlow).
  Each page renders exactly those names with mkdocstrings;
  `tools/check_docs.py` requires an entry and a docstring for each.
- **The repository's pages.** `README.md` is the home page; `SECURITY.md`,
  `BENCHMARKS.md`, `CHANGELOG.md`, the tutorials' README and the zoo's model
  cards (with their pictures) are pages under `repo/`, where they keep the
  names they have on GitHub.
- **Links.** Every page is written with links relative to where it lies in
  the repository, so it reads the same on GitHub. Here each relative link is
  mapped to the page or file it names on the site; a link to a source file
  or folder (a tool, a tutorial script) becomes its address on GitHub, and a
  link to nothing is left as it is, for `mkdocs build --strict` to refuse.
"""

from __future__ import annotations

import ast
import pathlib
import posixpath
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE_URL = "https://github.com/keras-gans/keras_gans/blob/main/"

# Repository files that become pages or files of the site, under repo/.
MIRRORED = (
    "SECURITY.md",
    "BENCHMARKS.md",
    "CHANGELOG.md",
    "tutorials/README.md",
    "zoo/README.md",
    "zoo/*/README.md",
    "zoo/*/*.png",
    "zoo/*/recipe.json",
)
HOME = "README.md"

_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")


def _literal(tree, name, seen=()):
    """The value of a module-level `name = [...]` (lists, tuples, `*other`)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = node.value
            break
    else:
        raise ValueError(f"Expected a module-level {name} = [...]; found none.")
    if not isinstance(value, (ast.List, ast.Tuple)):
        raise ValueError(f"Expected {name} to be a list or tuple of strings.")
    names = []
    for item in value.elts:
        if isinstance(item, ast.Starred) and isinstance(item.value, ast.Name):
            if item.value.id in seen:
                raise ValueError(f"{name} refers to itself through {item.value.id}.")
            names += _literal(tree, item.value.id, (*seen, name))
        else:
            names.append(ast.literal_eval(item))
    return names


def module_file(module):
    """The source file of `keras_gans.x.y` in this repository."""
    path = ROOT.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def public_surface():
    """`{module: [public names]}`: the package root, then each public module."""
    root = ast.parse(module_file("keras_gans").read_text())
    modules = _literal(root, "PUBLIC_MODULES")
    surface = {
        "keras_gans": [
            n for n in _literal(root, "__all__") if n not in modules and n != "__version__"
        ]
    }
    for name in modules:
        tree = ast.parse(module_file(f"keras_gans.{name}").read_text())
        surface[f"keras_gans.{name}"] = _literal(tree, "__all__")
    return surface


def _api_page(module, names):
    listed = "\n".join(f"        - {n}" for n in names)
    return (
        f"# `{module}`\n\n"
        f"::: {module}\n"
        "    options:\n"
        "      show_root_heading: false\n"
        "      show_submodules: false\n"
        "      members:\n"
        f"{listed}\n"
    )


def _api_uri(module):
    return f"api/{module}.md"


def on_config(config):
    for entry in config["nav"]:
        if isinstance(entry, dict) and "The zoo" in entry:
            entry["The zoo"] += [
                {card.parent.name: f"repo/{card.relative_to(ROOT).as_posix()}"}
                for card in sorted(ROOT.glob("zoo/*/README.md"))
            ]
    surface = public_surface()
    config["nav"].append(
        {"API reference": [{module: _api_uri(module)} for module in surface]}
    )
    return config


def _site_uri(repo_path):
    """Where a repository file lies on the site, or None."""
    if repo_path == HOME:
        return "index.md"
    if repo_path.startswith("docs/"):
        return repo_path[len("docs/") :]
    if any(pathlib.PurePosixPath(repo_path).match(p) for p in MIRRORED):
        return f"repo/{repo_path}"
    return None


def on_files(files, config):
    from mkdocs.structure.files import File

    for pattern in (HOME, *MIRRORED):
        for path in sorted(ROOT.glob(pattern)):
            repo_path = path.relative_to(ROOT).as_posix()
            files.append(
                File.generated(config, _site_uri(repo_path), abs_src_path=str(path))
            )
    for module, names in public_surface().items():
        files.append(
            File.generated(config, _api_uri(module), content=_api_page(module, names))
        )
    return files


def _repo_path(site_uri):
    if site_uri == "index.md":
        return HOME
    if site_uri.startswith("repo/"):
        return site_uri[len("repo/") :]
    return f"docs/{site_uri}"


def relink(markdown, site_uri):
    """`markdown`'s repository-relative links, as links of the page `site_uri`."""
    here = posixpath.dirname(_repo_path(site_uri))
    page_dir = posixpath.dirname(site_uri)

    def fix(match):
        target = match.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return match.group(0)
        path, _, anchor = target.partition("#")
        repo_path = posixpath.normpath(posixpath.join(here, path))
        if repo_path.startswith(".."):
            return match.group(0)
        uri = _site_uri(repo_path)
        if uri is not None:
            new = posixpath.relpath(uri, page_dir or ".")
        elif (ROOT / repo_path).exists():
            kind = "tree" if (ROOT / repo_path).is_dir() else "blob"
            new = SOURCE_URL.replace("/blob/", f"/{kind}/") + repo_path
        else:
            return match.group(0)  # a broken link: the strict build reports it
        if anchor:
            new += f"#{anchor}"
        return f"{match.group(1)}{new}{match.group(3)}"

    return _LINK.sub(fix, markdown)


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.startswith("api/"):
        return markdown
    return relink(markdown, page.file.src_uri)
