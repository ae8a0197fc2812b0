"""The demo page: a model picker and the tabs its family shows.

`build(model)` returns the Gradio app (`gradio.Blocks`); `launch(app)`
serves it on 127.0.0.1 with the page's CSS, offline: no analytics, no web
fonts (Gradio's theme fonts are served by the app itself), no share link
unless asked.
"""

from __future__ import annotations

import os
import threading

from keras_gans.demo.target import EXPORT_OMITS, Target
from keras_gans.demo.views import DemoInputError, guard, shown

TITLE = "keras_gans demo"
# The page's own CSS: pixels stay square when small images are shown large.
CSS = """
.kg-pixels img { image-rendering: pixelated; width: 100%; height: 100%;
                 object-fit: contain; }
"""
# Uploads larger than this are refused by the server before any decoding.
MAX_FILE_SIZE = "10mb"


def require_gradio():
    """The `gradio` module, or an `ImportError` that names the extra to install."""
    # Before Gradio's first import: it reads this once.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    try:
        import gradio
    except ModuleNotFoundError as error:
        if error.name != "gradio":
            raise
        raise ImportError(
            "keras_gans.demo needs Gradio, which is not installed: "
            "pip install 'keras-gans[demo]'."
        ) from None
    return gradio


def published_generators():
    """The zoo's published generators by name (not the classifier)."""
    from keras_gans.zoo import get_entry, list_models

    return [
        name
        for name in list_models(published_only=True)
        if get_entry(name).get("kind") != "classifier"
    ]


class Library:
    """The models one app can show, each loaded once, on first use.

    The page can only load the zoo's published generators and the sources
    the app was built with: paths typed in a browser are never opened.
    """

    def __init__(self, first, sources=(), zoo=True):
        self._targets = {}
        self._views = {}
        self._lock = threading.Lock()
        self.first = self._add(first)
        self.allowed = [self.first]
        for source in sources:
            key = self._add(source)
            if key not in self.allowed:
                self.allowed.append(key)
        if zoo:
            self.allowed += [n for n in published_generators() if n not in self.allowed]

    def _add(self, value):
        if isinstance(value, Target):
            target = value
        elif isinstance(value, str) or hasattr(value, "__fspath__"):
            return str(value)
        elif hasattr(value, "signatures") and hasattr(value, "metadata"):
            target = Target(export=value, source=getattr(value, "name", "export"))
        else:
            target = Target(model=value, source=getattr(value, "name", "model"))
        key = target.source
        self._targets[key] = target
        return key

    def check(self, name):
        """`name` if the page may load it, else `DemoInputError` listing those it may."""
        name = "" if name is None else str(name).strip()
        if name in self.allowed:
            return name
        raise DemoInputError(
            f"Unknown model {shown(name) if name else 'name (the box is empty)'}: "
            f"expected one of {', '.join(self.allowed)}. Other run folders and "
            "exports are opened by starting the demo with them: keras-gans demo PATH."
        )

    def get(self, name):
        """`(target, views)` of an allowed name, loading the model on first use."""
        name = self.check(name)
        with self._lock:
            if name not in self._targets:
                self._targets[name] = Target.load(name)
            target = self._targets[name]
            if name not in self._views:
                self._views[name] = list(target.family.demo_views(target))
        return target, self._views[name]


def page_note(target, views):
    """What the page shows and, for an export or a missing part, what it leaves out."""
    why_not = [(v.title, v.unavailable(target)) for v in views]
    shown_titles = [title for title, why in why_not if why is None]
    missing = [(title, why) for title, why in why_not if why is not None]
    lines = []
    if target.is_export:
        lines.append(
            f"This is an export (SavedModel): the generator alone, without "
            f"{EXPORT_OMITS}. It shows {', '.join(shown_titles)}."
        )
    for title, why in missing:
        lines.append(
            f"Not shown: {title}, which {why} (load the preset or run folder)."
        )
    return " ".join(lines)


def build(model, sources=(), zoo=True, title=TITLE):
    """A Gradio app that shows `model` with its family's controls.

    Args:
        model: a trained keras_gans model, an export
            (`keras_gans.zoo.Pretrained`), a `keras_gans.demo.Target`, or a
            source: a zoo name, a preset, a run folder, a `.keras` file or
            an export folder.
        sources: further sources the page's model picker may load.
            Defaults to `()`.
        zoo: also offer the zoo's published generators in the picker.
            Defaults to `True`.
        title: the page title. Defaults to `"keras_gans demo"`.

    Returns:
        A `gradio.Blocks`; serve it with `keras_gans.demo.launch(app)`.
    """
    gr = require_gradio()
    library = Library(model, sources, zoo=zoo)
    library.get(library.first)  # a bad first model fails here, not in the page

    def switch(name):
        name = library.check(name)
        library.get(name)  # loads it: a model that fails to load says so here
        return f"{LOADED} {shown(name)}."

    with gr.Blocks(title=title, analytics_enabled=False) as app:
        gr.Markdown(f"# {TITLE}")

        # The page is drawn once per page load, for the model its URL names
        # (`?model=NAME`); the picker reloads the page with another name.
        # Re-rendering tabs in place is what Gradio's render does worst.
        opened = gr.State(None)

        def choose(request):
            asked = request.query_params.get("model") if request else None
            if not asked:
                return library.first, ""
            try:
                name = library.check(asked)
                library.get(name)
            except Exception as e:  # noqa: BLE001 - the page must still show
                return library.first, f"**Not loaded.** {e}"
            return name, ""

        # Gradio passes the request to an argument annotated gr.Request; this
        # module's annotations are strings (`from __future__ import annotations`).
        choose.__annotations__["request"] = gr.Request
        app.load(choose, None, opened)

        @gr.render(inputs=opened, triggers=[opened.change])
        def page(state):
            if state is None:
                return
            name, problem = state
            target, views = library.get(name)
            with gr.Row(equal_height=True):
                picker = gr.Dropdown(
                    choices=library.allowed,
                    value=name,
                    allow_custom_value=True,
                    label="Model",
                    info="a zoo name, or a source the demo was started with",
                    elem_id="model-picker",
                    scale=4,
                    interactive=True,
                )
                load = gr.Button("Load", elem_id="model-load", scale=1)
            picker_note = gr.Markdown(problem, elem_id="model-message")
            load.click(guard(switch, 0), picker, picker_note).then(
                None, [picker_note, picker], None, js=_NAVIGATE
            )
            gr.Markdown(target.describe(), elem_id="model-description")
            note = page_note(target, views)
            gr.Markdown(note, elem_id="model-note", visible=bool(note))
            with gr.Tabs():
                for view in views:
                    if view.unavailable(target) is not None:
                        continue
                    with gr.Tab(view.title, id=view.id, elem_id=f"tab-{view.id}"):
                        if view.intro:
                            gr.Markdown(view.intro)
                        view.render(gr, target)

    return app


# Opens the page for the model that "Load" has just loaded.
LOADED = "Loaded"
_NAVIGATE = f"""(note, name) => {{
  if (note.startsWith("{LOADED} ")) {{
    const url = new URL(window.location.href);
    url.searchParams.set("model", name);
    window.location.assign(url.toString());
  }}
}}"""


def launch(app, host="127.0.0.1", port=7860, share=False, block=True, quiet=False):
    """Serves `app` (or `build(app)` for a model or source); returns its URL.

    Args:
        app: a `gradio.Blocks` from `build`, or what `build` takes.
        host: the address to listen on. Defaults to `"127.0.0.1"` (this
            machine only); `"0.0.0.0"` serves the network.
        port: the port. Defaults to `7860`.
        share: ask Gradio for a public share link (needs the internet).
            Defaults to `False`.
        block: serve until interrupted. Defaults to `True`; `False`
            returns once the server runs (stop it with `app.close()`).
        quiet: print nothing. Defaults to `False`.
    """
    gr = require_gradio()
    if not isinstance(app, gr.Blocks):
        app = build(app)
    _, url, share_url = app.launch(
        server_name=host,
        server_port=port,
        share=share,
        prevent_thread_lock=True,
        quiet=True,
        show_error=False,
        ssr_mode=False,
        max_file_size=MAX_FILE_SIZE,
        footer_links=[],
        css=CSS,
        theme=gr.themes.Default(),
    )
    if not quiet:
        print(f"keras_gans demo on {url}" + (f" and {share_url}" if share_url else ""))
    if block:
        try:
            app.block_thread()
        finally:
            app.close()
    return url
