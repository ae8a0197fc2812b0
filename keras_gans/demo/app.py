"""The demo page: a model picker and the tabs its family shows.

`build(model)` returns the Gradio app (`gradio.Blocks`); `launch(app)`
serves it on 127.0.0.1 with the page's CSS, offline: no analytics, no web
fonts (Gradio's theme fonts are served by the app itself), no share link
unless asked.

The page may be reached by strangers (`--host 0.0.0.0`, `--share`), so
`launch` caps what one request can cost: request bodies
(`RequestBodyLimit`), upload files and their pixels
(`keras_gans.demo.views.read_image`), drawings running and waiting (the
queue), and how long uploads stay on disk. It warns on stderr when the page
is reachable beyond this machine, and asks for a password given `auth`.
"""

from __future__ import annotations

import ipaddress
import os
import sys
import threading

from keras_gans.demo.spec import demo_spec
from keras_gans.demo.target import EXPORT_OMITS, Target
from keras_gans.demo.views import MAX_UPLOAD_BYTES, DemoInputError, guard, shown

TITLE = "keras_gans demo"
# The page's own CSS: pixels stay square when small images are shown large.
CSS = """
.kg-pixels img { image-rendering: pixelated; width: 100%; height: 100%;
                 object-fit: contain; }
"""
"""The page's own CSS (pass it to `launch` of a page you build with `build`)."""
# Uploads larger than this are refused by Gradio's upload route as they stream in.
MAX_FILE_SIZE = MAX_UPLOAD_BYTES
# Every other request body (the page's calls: seeds, captions, the paths of
# uploads) is a few kilobytes of JSON.
MAX_REQUEST_BYTES = 1024 * 1024
# Gradio's upload route takes one file, its multipart headers and boundaries.
UPLOAD_ROUTE = "/gradio_api/upload"
MAX_UPLOAD_REQUEST_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
# (frequency, age) in seconds: every minute, uploads and served images older
# than 10 minutes leave the server's disk (Gradio's `delete_cache`).
DELETE_CACHE = (60, 600)
# Drawings run one per control at a time, at most MAX_DRAWINGS at once (each
# already uses every core, and holds at most one decoded upload), and at most
# QUEUE_SIZE wait; the next is told the queue is full.
CONCURRENCY_LIMIT = 1
MAX_DRAWINGS = 4
QUEUE_SIZE = 32


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
                self._views[name] = list(demo_spec(target.family).views(target))
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

    with gr.Blocks(
        title=title, analytics_enabled=False, delete_cache=DELETE_CACHE
    ) as app:
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


class RequestBodyLimit:
    """ASGI middleware that refuses request bodies over a size with 413.

    A declared `Content-Length` over the limit is refused before the body is
    read; a body without one (chunked) is counted as it arrives and cut at
    the limit. The upload route gets `upload_max_bytes`, every other route
    `max_bytes`.

    Args:
        app: the ASGI app it wraps.
        max_bytes: the largest body of any route but the upload route.
            Defaults to `MAX_REQUEST_BYTES` (1 MiB).
        upload_max_bytes: the largest body of `UPLOAD_ROUTE`. Defaults to
            `MAX_UPLOAD_REQUEST_BYTES` (10 MiB and 64 KiB).
    """

    def __init__(
        self,
        app,
        max_bytes=MAX_REQUEST_BYTES,
        upload_max_bytes=MAX_UPLOAD_REQUEST_BYTES,
    ):
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes

    def limit(self, path):
        """The largest body a request to `path` may send."""
        upload = path.rstrip("/") == UPLOAD_ROUTE
        return self.upload_max_bytes if upload else self.max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, limit, f"{int(declared):,} bytes")
            return
        received = 0
        cut = False
        started = False

        async def counted_receive():
            nonlocal received, cut
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut = True
                    raise RequestTooLarge(f"over {limit:,} bytes")
            return message

        async def checked_send(message):
            nonlocal started
            if cut:
                return  # the 413 below answers instead of the app's error
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, checked_send)
        except Exception:
            if not cut:
                raise
        if cut and not started:
            await _refuse(send, limit, f"more than {limit:,} bytes")


class RequestTooLarge(Exception):
    """A request body went over `RequestBodyLimit`'s limit while streaming in."""


async def _refuse(send, limit, received):
    body = (
        f"Request body: expected at most {limit:,} bytes; received {received}.\n"
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def parse_auth(text):
    """The CLI's `--auth USER:PASS` as the `(user, password)` that `launch` takes.

    The user name ends at the first colon; the password is the rest and may
    hold colons. Spaces around the user name are dropped (Gradio's login
    drops them from what is typed).

    Args:
        text: `"USER:PASS"`.

    Returns:
        `(user, password)`.

    Raises:
        ValueError: without a colon, or with an empty user or password. The
            message never repeats the password.
    """
    user, colon, password = str(text).partition(":")
    user = user.strip()
    problem = (
        "a value without a colon"
        if not colon
        else "an empty user name"
        if not user
        else "an empty password"
        if not password
        else None
    )
    if problem:
        raise ValueError(
            f"--auth: expected USER:PASS, a user name and a password joined by "
            f"a colon; received {problem}."
        )
    return user, password


def is_loopback(host):
    """Whether `host` serves this machine only (127.0.0.0/8, ::1, "localhost")."""
    if str(host).strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve to any address


def exposure_warning(host, share=False, auth=None):
    """The warning `launch` prints when others may reach the page, else `None`.

    Args:
        host: the address the server listens on.
        share: whether a public share link is asked for. Defaults to `False`.
        auth: the `(user, password)` the page asks for, or `None`.
            Defaults to `None`.
    """
    reach = []
    if not is_loopback(host):
        reach.append(f"the network (host {host})")
    if share:
        reach.append("the internet (a public share link, share=True)")
    if not reach:
        return None
    where = " and ".join(reach)
    if auth is None:
        return (
            f"Warning: keras_gans demo: the page is reachable from {where}, "
            "without a password: anyone who reaches it can run the models "
            "and upload files. Pass --auth USER:PASS (launch(..., "
            "auth=(user, password))) to ask for one."
        )
    return (
        f"Warning: keras_gans demo: the page is reachable from {where}; it "
        "asks for the --auth password, which plain http sends unencrypted."
    )


def launch(
    app,
    host="127.0.0.1",
    port=7860,
    share=False,
    block=True,
    quiet=False,
    auth=None,
):
    """Serves `app` (or `build(app)` for a model or source); returns its URL.

    The server refuses request bodies over `MAX_REQUEST_BYTES` (uploads:
    `MAX_UPLOAD_REQUEST_BYTES`), runs at most `MAX_DRAWINGS` drawings at
    once with `QUEUE_SIZE` waiting, and deletes old uploads
    (`DELETE_CACHE`, unless `app` has its own `delete_cache`). When the page
    is reachable beyond this machine (a `host` that is not a loopback
    address, or `share`) a warning goes to stderr, even when `quiet`.

    Args:
        app: a `gradio.Blocks` from `build`, or what `build` takes.
        host: the address to listen on. Defaults to `"127.0.0.1"` (this
            machine only); `"0.0.0.0"` serves the network.
        port: the port. Defaults to `7860`.
        share: ask Gradio for a public share link (needs the internet).
            Defaults to `False`.
        block: serve until interrupted. Defaults to `True`; `False`
            returns once the server runs (stop it with `app.close()`).
        quiet: print no URL. Defaults to `False`.
        auth: `(user, password)` that the page asks for before it shows
            anything (see `parse_auth` for the CLI's `USER:PASS`), or
            `None` for no password. Defaults to `None`.
    """
    gr = require_gradio()
    from starlette.middleware import Middleware  # a dependency of Gradio's

    if host is None:
        host = os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")  # as Gradio
    if auth is not None:
        auth = _check_auth(auth)
    if not isinstance(app, gr.Blocks):
        app = build(app)
    if app.delete_cache is None:
        # Read by Gradio when launch() creates the server app.
        app.delete_cache = DELETE_CACHE
    app.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    warning = exposure_warning(host, share, auth)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    try:
        _, url, share_url = app.launch(
            server_name=host,
            server_port=port,
            share=share,
            auth=auth,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,
            ssr_mode=False,
            max_file_size=MAX_FILE_SIZE,
            max_threads=MAX_DRAWINGS,
            # Gradio builds its FastAPI app from these (gradio/routes.py,
            # App.create_app); its own middleware wraps this one.
            app_kwargs={"middleware": [Middleware(RequestBodyLimit)]},
            # Static file workers would serve uploads on ports of their own,
            # outside the body limit (GRADIO_NUM_WORKERS turns them on).
            num_workers=0,
            footer_links=[],
            css=CSS,
            theme=gr.themes.Default(),
        )
    except KeyboardInterrupt:
        # Ctrl-C while the server starts (it serves before launch returns):
        # stop it, and let the caller end quietly.
        app.close()
        raise
    if not quiet:
        print(
            f"keras_gans demo on {url}" + (f" and {share_url}" if share_url else ""),
            flush=True,  # a log or a pipe sees the URL while the page is up
        )
    if block:
        try:
            app.block_thread()
        finally:
            app.close()
    return url


def _check_auth(auth):
    """`auth` as a `(user, password)` tuple of non-empty strings, or `ValueError`."""
    if (
        not isinstance(auth, (tuple, list))
        or len(auth) != 2
        or not all(isinstance(part, str) and part for part in auth)
    ):
        received = (
            f"a {type(auth).__name__}"
            if not isinstance(auth, (tuple, list))
            else f"{len(auth)} item(s)"
            if len(auth) != 2
            else "an empty or non-text user or password"
        )
        raise ValueError(
            f"auth: expected (user, password), two non-empty strings; received "
            f"{received}."
        )
    return tuple(auth)
