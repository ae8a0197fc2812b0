"""How fast, and in how much memory, `keras_gans.data.load(PATH)` reads a picture folder.

Three measurements, each process fresh (a new interpreter per number), on
folders of synthetic JPEGs that `tools/make_image_folder.py` writes under
`--work-dir` (never committed; made once and reused while their README
matches). Decoded pictures are cached under temporary `KERAS_GANS_HOME`
folders there, never in `~/.keras`.

1. Memory. One epoch of `load(folder, image_shape=(64, 64, 3),
   batch_size=64, seed=0)` (TensorFlow) over 1,000 and over 100,000
   pictures, first pass (the cache being written) and second pass (read from
   the cache), while a thread samples `/proc/self/status` every 10 ms. The
   cache is memory-mapped, so its pages count in RSS (`RssFile`); the number
   that must not grow with the folder is the peak anonymous memory
   (`RssAnon`).
2. Loading speed. One epoch (batch 64, 64x64x3) of a folder of CelebA-sized
   JPEGs through keras_gans (first pass, cached, `cache=False`; TensorFlow,
   and PyTorch's backend via Keras's `PyDataset` adapter, as `fit()` reads
   it), `keras.utils.image_dataset_from_directory`, and a PyTorch
   `DataLoader(num_workers=2)` over a plain Pillow dataset (torchvision does
   not install beside the CPU build of torch used here). Variants alternate,
   the order rotated every round; medians over rounds.
3. Training. `DCGAN(image_shape=(64, 64, 3)).fit()` on the cached folder
   against `fit()` on the same pictures as an in-memory `tf.data` pipeline
   with keras_gans's pipeline options, after a warm-up `fit()` that traces
   the step; and, to show the cause of the gap, the in-memory pipeline
   after the `mallopt` call TensorFlow's `from_generator` makes.

The whole run takes about 20 minutes on a quiet 2-core machine (25.5 when
other processes held about a core), plus about 75 s to write the folders
the first time.

Usage:

    python tools/bench_folders.py                        # writes BENCHMARKS.md
    python tools/bench_folders.py --quick --output ''    # smoke run, 3-4 minutes
    python tools/bench_folders.py --parts speed --rounds 1 --output ''
    python tools/bench_folders.py --json run.json        # also keep the raw numbers
    python tools/bench_folders.py --render run.json      # the section again, no runs
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SECTION = "## Your own pictures: loading speed and memory (issue 28)"
SHAPE = (64, 64, 3)
BATCH = 64
PARTS = ("memory", "speed", "fit")
# Loading-speed variants: (name, Keras backend, what it is).
SPEED_VARIANTS = {
    "kg_first": (
        "tensorflow",
        "keras_gans `load()`, first pass: empty cache, decoded and cached",
    ),
    "kg_cached": (
        "tensorflow",
        "keras_gans `load()`, cache filled by an earlier process",
    ),
    "kg_nocache": ("tensorflow", "keras_gans `load(..., cache=False)`"),
    "keras_idfd": (
        "tensorflow",
        "`keras.utils.image_dataset_from_directory(image_size=(64, 64), "
        "crop_to_aspect_ratio=True)`",
    ),
    "torch_dl": (
        "torch",
        "PyTorch `DataLoader(num_workers=2)`, Pillow `open` + `convert` + "
        "centre crop + `resize(BILINEAR)`",
    ),
    "torch_dl_draft": (
        "torch",
        "the same with `Image.draft` (JPEG decoded at 1/2, 1/4, 1/8 scale)",
    ),
    "kg_torch_first": (
        "torch",
        "keras_gans `load()` on PyTorch's backend (`FolderBatches` through "
        "Keras's adapter), first pass",
    ),
    "kg_torch_cached": (
        "torch",
        "the same, cache filled by an earlier process",
    ),
}
FIT_VARIANTS = {
    "fit_folder": "`data.load(folder)`, cache filled by an earlier process",
    "fit_memory": "the same pictures as uint8 in memory: `from_tensor_slices` "
    "-> `shuffle` -> `batch` -> `map` to [-1, 1] -> `prefetch`, "
    "`with_pipeline_options`",
    "fit_memory_mallopt": "`fit_memory` after `mallopt(M_TRIM_THRESHOLD, 128 KiB)`, "
    "the glibc setting TensorFlow's `from_generator` dataset applies to the "
    'whole process (it logs "Memory patch applied")',
}
# glibc's mallopt parameter, and the value generator_dataset_op.cc sets.
M_TRIM_THRESHOLD, TF_GENERATOR_TRIM_THRESHOLD = -1, 128 * 1024
# A process counts as quiet when other processes used less CPU than this.
QUIET_CORES = 0.25
MEMORY_LIMIT_MB = 50.0
FIT_TARGET = 0.95


# --- Folders and caches ---------------------------------------------------------


def folder_readme_line(count, size, max_size):
    """The line `make_image_folder` writes into README.txt for these arguments."""
    sizes = f"{size}x{size}" if not max_size else f"{size} to {max_size} px a side"
    return f"{count} JPEGs ({sizes}, quality 90, seed 0), 1000 a folder;"


def ensure_folder(path, count, size, max_size=None):
    """`path` holding `count` synthetic JPEGs, written unless already there."""
    sys.path.insert(0, str(ROOT / "tools"))
    from make_image_folder import README, make_image_folder

    path = pathlib.Path(path)
    readme = path / README
    if readme.is_file() and folder_readme_line(count, size, max_size) in (
        readme.read_text("utf-8")
    ):
        return path, 0.0
    start = time.perf_counter()
    make_image_folder(
        path,
        count,
        size=size,
        max_size=max_size,
        processes=1 if count < 1000 else 2,
        command=f"tools/bench_folders.py (count {count}, size {size}, "
        f"max_size {max_size})",
    )
    return path, time.perf_counter() - start


# --- Measuring, in the worker process ------------------------------------------


def read_status(fields=("RssAnon", "RssFile", "VmHWM", "VmRSS")):
    """`{field: KiB}` from /proc/self/status (empty where it is missing)."""
    found = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in fields:
                    found[key] = int(value.split()[0])
    except OSError:
        pass
    return found


class MemorySampler:
    """Peaks of /proc/self/status fields, sampled by a thread every `interval` s."""

    def __init__(self, interval=0.01):
        self.interval = interval
        self.peaks = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self):
        for key, value in read_status().items():
            self.peaks[key] = max(self.peaks.get(key, 0), value)
        self.samples += 1

    def _run(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
        return False


def _cpu_busy_seconds():
    """Busy CPU seconds of the whole machine, summed over cores (/proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return float("nan")
    return (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds():
    """CPU seconds of this process's threads and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Clock:
    """Wall time, own CPU time and the CPU other processes used, of a block."""

    def __enter__(self):
        self.start = time.perf_counter()
        self._busy = _cpu_busy_seconds()
        self._own = _own_cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        self.cpu = _own_cpu_seconds() - self._own
        busy = _cpu_busy_seconds() - self._busy
        self.other_cores = max(busy - self.cpu, 0.0) / max(self.seconds, 1e-9)
        return False


def iterate(dataset):
    """Pictures in one pass over `dataset` (tf.data, PyDataset or DataLoader)."""
    import keras

    count = 0
    if isinstance(dataset, keras.utils.PyDataset):
        # What fit() does with it: Keras's adapter, with the dataset's workers.
        from keras.src.trainers.data_adapters.py_dataset_adapter import (
            PyDatasetAdapter,
        )

        adapter = PyDatasetAdapter(dataset, shuffle=False)
        adapter.on_epoch_begin()
        batches = (
            adapter.get_torch_dataloader()
            if keras.backend.backend() == "torch"
            else adapter.get_numpy_iterator()
        )
        for batch in batches:
            count += _batch_size(batch)
        adapter.on_epoch_end()
        return count
    for batch in dataset:
        count += _batch_size(batch)
    return count


def _batch_size(batch):
    images = batch[0] if isinstance(batch, (tuple, list)) else batch
    return int(images.shape[0])


def memory_worker(folder, epochs=1):
    """Peak memory of `load()` and `epochs` epochs over `folder` (TensorFlow)."""
    import tensorflow as tf  # noqa: F401

    import keras_gans  # noqa: F401

    before = read_status()
    with MemorySampler() as sampler, Clock() as clock:
        ds = keras_gans.data.load(
            str(folder), image_shape=SHAPE, batch_size=BATCH, seed=0
        )
        after_load = read_status()
        count = sum(iterate(ds) for _ in range(epochs))
    cache = ds.folder.cache_path
    return {
        "images": count,
        "files": ds.folder.count,
        "seconds": clock.seconds,
        "other_cores": clock.other_cores,
        "anon_imports_kib": before.get("RssAnon", 0),
        "anon_after_load_kib": after_load.get("RssAnon", 0),
        "peak_anon_kib": sampler.peaks.get("RssAnon", 0),
        "peak_file_kib": sampler.peaks.get("RssFile", 0),
        "vmhwm_kib": sampler.peaks.get("VmHWM", 0),
        "samples": sampler.samples,
        "cache_bytes": (
            (pathlib.Path(cache) / "pixels.u8").stat().st_blocks * 512 if cache else 0
        ),
    }


class PillowFolder:
    """A plain PyTorch-style dataset: each item opened and resized with Pillow.

    What a user writes without torchvision: `Image.open` + `convert("RGB")`,
    the largest centred square, `resize(BILINEAR)`, scaled to [-1, 1].
    `draft=True` also lets the JPEG decoder scale down while decoding.
    """

    def __init__(self, folder, size=SHAPE[0], draft=False):
        self.paths = sorted(
            str(p) for p in pathlib.Path(folder).rglob("*") if p.suffix == ".jpg"
        )
        self.size = size
        self.draft = draft

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, index):
        import numpy as np
        from PIL import Image

        with Image.open(self.paths[index]) as image:
            if self.draft:
                image.draft("RGB", (self.size, self.size))
            image = image.convert("RGB")
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        image = image.resize(
            (self.size, self.size),
            Image.Resampling.BILINEAR,
            box=(left, top, left + side, top + side),
        )
        return np.asarray(image, np.float32) / 127.5 - 1.0


def make_loader(variant, folder):
    """The dataset of a speed variant, built (this is the timed set-up)."""
    if variant.startswith("kg_"):
        import keras_gans

        return keras_gans.data.load(
            str(folder),
            image_shape=SHAPE,
            batch_size=BATCH,
            seed=0,
            cache=variant != "kg_nocache",
        )
    if variant == "keras_idfd":
        import keras

        return keras.utils.image_dataset_from_directory(
            str(folder),
            labels=None,
            batch_size=BATCH,
            image_size=SHAPE[:2],
            shuffle=True,
            seed=0,
            crop_to_aspect_ratio=True,
            verbose=False,
        )
    if variant.startswith("torch_dl"):
        import torch

        torch.manual_seed(0)
        return torch.utils.data.DataLoader(
            PillowFolder(folder, draft=variant == "torch_dl_draft"),
            batch_size=BATCH,
            shuffle=True,
            num_workers=2,
            drop_last=True,
        )
    raise ValueError(
        f"Expected a variant in {list(SPEED_VARIANTS)}, received {variant!r}."
    )


def speed_worker(variant, folder, second_epoch=False):
    """Set-up and one epoch of `variant`'s loader; a second epoch on request."""
    import keras  # noqa: F401  (imports the backend outside the timing)

    if variant.startswith("torch"):
        import torch  # noqa: F401
    else:
        import keras_gans  # noqa: F401
    with Clock() as setup:
        loader = make_loader(variant, folder)
    with Clock() as epoch:
        count = iterate(loader)
    result = {
        "variant": variant,
        "images": count,
        "setup_seconds": setup.seconds,
        "seconds": epoch.seconds,
        "rate": count / epoch.seconds,
        "cpu_per_image_ms": 1000 * epoch.cpu / count,
        "other_cores": epoch.other_cores,
    }
    if second_epoch:
        with Clock() as again:
            count2 = iterate(loader)
        result["rate_second_epoch"] = count2 / again.seconds
    return result


def fit_worker(variant, folder, steps, warmup):
    """Steady-state `fit()` images/s of a DCGAN 64x64x3 on `variant`'s input."""
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_gans

    if variant == "fit_memory_mallopt":
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(M_TRIM_THRESHOLD, TF_GENERATOR_TRIM_THRESHOLD)
    if variant == "fit_folder":
        ds = keras_gans.data.load(
            str(folder), image_shape=SHAPE, batch_size=BATCH, seed=0
        )
        if ds.folder.cache_path is None:
            raise RuntimeError("Expected a cache for the fit_folder variant.")
    else:
        from keras_gans.data import with_pipeline_options
        from keras_gans.data.folders import open_folder

        # The cached pictures themselves: the same pixels fit_folder reads.
        source = open_folder(str(folder), image_shape=SHAPE)
        images, _ = source.read(np.arange(source.count), 0, source.count)
        ds = (
            tf.data.Dataset.from_tensor_slices(images)
            .shuffle(len(images), seed=0)
            .batch(BATCH, drop_remainder=True)
            .map(
                lambda x: tf.cast(x, tf.float32) / 127.5 - 1.0,
                num_parallel_calls=tf.data.AUTOTUNE,
            )
            .prefetch(tf.data.AUTOTUNE)
        )
        ds = with_pipeline_options(ds)
    keras.utils.set_random_seed(0)
    model = keras_gans.DCGAN(image_shape=SHAPE, seed=0)
    model.compile()
    model.fit(ds, epochs=1, steps_per_epoch=warmup, verbose=0)

    class Steps(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = [time.perf_counter()]

        def on_train_batch_end(self, batch, logs=None):
            self.times.append(time.perf_counter())

    import resource

    timer = Steps()
    before = resource.getrusage(resource.RUSAGE_SELF)
    with Clock() as clock:
        model.fit(ds, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=[timer])
    after = resource.getrusage(resource.RUSAGE_SELF)
    gaps = [b - a for a, b in zip(timer.times[1:], timer.times[2:], strict=False)]
    return {
        "variant": variant,
        "rate": BATCH * steps / clock.seconds,
        "rate_median_step": BATCH / statistics.median(gaps) if gaps else None,
        "rate_cpu": BATCH * steps / clock.cpu,
        "other_cores": clock.other_cores,
        "steps": steps,
        # Where the extra CPU goes: the kernel's share, and page faults.
        "sys_per_step": (after.ru_stime - before.ru_stime) / steps,
        "faults_per_step": (after.ru_minflt - before.ru_minflt) / steps,
    }


# --- Running workers ------------------------------------------------------------


def run_worker(job, home=None, backend="tensorflow", timeout=1800):
    """`job` (a dict) run in a fresh process; its JSON result."""
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    if home is not None:
        env["KERAS_GANS_HOME"] = str(home)
    done = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(job)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode:
        raise RuntimeError(f"worker {job} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker(job):
    kind = job["kind"]
    if kind == "memory":
        return memory_worker(job["folder"], job.get("epochs", 1))
    if kind == "speed":
        return speed_worker(job["variant"], job["folder"], job.get("second_epoch"))
    if kind == "fit":
        return fit_worker(job["variant"], job["folder"], job["steps"], job["warmup"])
    raise ValueError(f"Expected a job kind in {PARTS}, received {kind!r}.")


def rotated(names, offset):
    offset %= len(names)
    return list(names[offset:]) + list(names[:offset])


def fresh_home(work, name):
    """An empty KERAS_GANS_HOME under `work`."""
    home = pathlib.Path(work) / "homes" / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    return home


def run_memory(args, log):
    """{count: {"first": [...], "cached": [...]}}: one process per pass."""
    folders = {
        n: ensure_folder(pathlib.Path(args.work_dir) / f"memory_{n}", n, 96)[0]
        for n in args.memory_counts
    }
    results = {n: {"first": [], "cached": []} for n in args.memory_counts}
    small, large = min(args.memory_counts), max(args.memory_counts)
    # The smallest folder read again for as many batches as one epoch of the
    # largest: what grows with batches read, not with pictures listed.
    results[small]["cached_long"] = []
    for r in range(args.memory_rounds):
        for n in rotated(args.memory_counts, r):
            home = fresh_home(args.work_dir, f"memory_{n}")
            for which in results[n]:
                job = {"kind": "memory", "folder": str(folders[n])}
                if which == "cached_long":
                    job["epochs"] = large // small
                out = run_worker(job, home)
                results[n][which].append(out)
                log(
                    f"memory round {r} {n} {which}: peak RssAnon "
                    f"{out['peak_anon_kib'] / 1024:.0f} MiB, RssFile "
                    f"{out['peak_file_kib'] / 1024:.0f} MiB, "
                    f"{out['images'] / out['seconds']:.0f} images/s"
                )
            shutil.rmtree(home, ignore_errors=True)
    return results


def run_speed(args, log):
    folder = ensure_folder(
        pathlib.Path(args.work_dir) / f"speed_{args.speed_count}",
        args.speed_count,
        args.speed_size,
        args.speed_max_size,
    )[0]
    filled = fresh_home(args.work_dir, "filled")
    run_worker({"kind": "speed", "variant": "kg_first", "folder": str(folder)}, filled)
    results = {v: [] for v in args.speed_variants}
    for r in range(args.rounds):
        for variant in rotated(args.speed_variants, r):
            backend = SPEED_VARIANTS[variant][0]
            first = variant in ("kg_first", "kg_torch_first")
            home = fresh_home(args.work_dir, "first") if first else filled
            job = {
                "kind": "speed",
                "variant": variant,
                "folder": str(folder),
                "second_epoch": first,
            }
            out = run_worker(job, home, backend=backend)
            results[variant].append(out)
            log(
                f"speed round {r} {variant}: {out['rate']:.0f} images/s, set-up "
                f"{out['setup_seconds']:.2f} s, other CPU {out['other_cores']:.2f}"
            )
            if first:
                shutil.rmtree(home, ignore_errors=True)
    return results, folder, filled


def run_fit(args, log, folder, filled):
    results = {v: [] for v in args.fit_variants}
    for r in range(args.fit_rounds):
        for variant in rotated(args.fit_variants, r):
            job = {
                "kind": "fit",
                "variant": variant,
                "folder": str(folder),
                "steps": args.fit_steps,
                "warmup": args.fit_warmup,
            }
            out = run_worker(job, filled)
            results[variant].append(out)
            log(
                f"fit round {r} {variant}: {out['rate']:.1f} images/s "
                f"({out['rate_cpu']:.1f} per CPU-s), other CPU {out['other_cores']:.2f}"
            )
    return results


# --- The report ------------------------------------------------------------------


def mb(kib):
    """KiB -> MB (10^6 bytes)."""
    return kib * 1024 / 1e6


def number(value, spec, suffix=""):
    """`value` formatted, or "-" when it is NaN (no process to take it from)."""
    return "-" if value != value else f"{value:{spec}}{suffix}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def memory_verdict(results):
    """`{pass: (difference MB, within)}` of the largest count against the smallest."""
    counts = sorted(results)
    small, large = counts[0], counts[-1]
    verdict = {}
    for which in ("first", "cached"):
        diff = mb(
            median(r["peak_anon_kib"] for r in results[large][which])
            - median(r["peak_anon_kib"] for r in results[small][which])
        )
        verdict[which] = (diff, diff <= MEMORY_LIMIT_MB)
    return verdict


def memory_lines(results):
    lines = [
        "### Memory: one epoch, 1,000 against 100,000 pictures",
        "",
        f"`load(folder, image_shape={SHAPE}, batch_size={BATCH}, seed=0)` on "
        "TensorFlow, one epoch, a fresh process per pass; 96x96 JPEGs. First "
        "pass: empty cache (decoding, writing the memory-mapped cache); cached: "
        "the next process, reading it. Medians over processes; MB = 10^6 bytes.",
        "",
        "| pictures | pass | peak RssAnon MB | RssAnon after imports | after "
        "`load()` - after imports | peak - after imports | peak RssFile MB | "
        "VmHWM MB | images/s | processes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    counts = sorted(results)
    for n in counts:
        for which, runs in results[n].items():
            peak = median(r["peak_anon_kib"] for r in runs)
            base = median(r["anon_imports_kib"] for r in runs)
            label = which
            if which == "cached_long":
                label = f"cached, {counts[-1] // n} epochs"
            lines.append(
                f"| {n:,} | {label} | {mb(peak):.0f} | {mb(base):.0f} | "
                f"{mb(median(r['anon_after_load_kib'] - r['anon_imports_kib'] for r in runs)):.0f} | "
                f"{mb(median(r['peak_anon_kib'] - r['anon_imports_kib'] for r in runs)):.0f} | "
                f"{mb(median(r['peak_file_kib'] for r in runs)):.0f} | "
                f"{mb(median(r['vmhwm_kib'] for r in runs)):.0f} | "
                f"{median(r['images'] / r['seconds'] for r in runs):,.0f} | "
                f"{len(runs)} |"
            )
    lines += [
        "",
        "Every process, peak RssAnon MB (first pass / cached): "
        + "; ".join(
            f"{n:,}: "
            + ", ".join(
                f"{mb(a['peak_anon_kib']):.0f}/{mb(b['peak_anon_kib']):.0f}"
                for a, b in zip(results[n]["first"], results[n]["cached"], strict=True)
            )
            for n in sorted(results)
        )
        + ".",
    ]
    long_runs = results[counts[0]].get("cached_long")
    if long_runs:
        large = median(r["peak_anon_kib"] for r in results[counts[-1]]["cached"])
        long = median(r["peak_anon_kib"] for r in long_runs)
        listed = median(
            r["anon_after_load_kib"] for r in results[counts[-1]]["cached"]
        ) - median(r["anon_after_load_kib"] for r in results[counts[0]]["cached"])
        lines += [
            "",
            f"The {counts[0]:,} pictures read for {counts[-1] // counts[0]} epochs "
            f"(as many batches as one epoch of {counts[-1]:,}): peak RssAnon "
            f"{mb(long):.0f} MB, {mb(large - long):+.0f} MB against the "
            f"{counts[-1]:,}. What a long pass adds is the allocator's churn "
            "over batches, not memory per picture: the file list (about "
            f"{mb(listed):.0f} MB "
            "more after `load()`) is what grows with the number of pictures.",
        ]
    return lines


def speed_lines(results, args):
    rates = {v: median(r["rate"] for r in results[v]) for v in results}
    calm = {v: median(r["rate"] for r in quiet(results[v])) for v in results}
    idfd, dl = rates.get("keras_idfd"), rates.get("torch_dl")
    calm_idfd = calm.get("keras_idfd", float("nan"))
    lines = [
        "### Loading speed: decode and resize to 64x64",
        "",
        f"One epoch, batch {BATCH}, {args.speed_count:,} JPEGs of "
        f"{args.speed_size} to {args.speed_max_size or args.speed_size} px a side "
        "(CelebA's are 178x218), files in the page cache; a fresh process per "
        f"number, variants alternating, {args.rounds} rounds. Quiet: the processes "
        f"during which other processes used under {QUIET_CORES} cores (-: none "
        "was). Images/s counts the "
        "epoch, from the first batch asked for to the last; set-up (listing the "
        "files, building the pipeline) is apart. CPU ms per image: this process "
        "and its waited-for children (the DataLoader's workers).",
        "",
        "| variant | what | images/s (median) | min | max | quiet median | vs "
        "`image_dataset_from_directory` | vs `DataLoader` | quiet, vs "
        "`image_dataset_from_directory` | set-up s | CPU ms per image | second "
        "epoch, same process |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in results:
        runs = results[v]
        second = [r["rate_second_epoch"] for r in runs if "rate_second_epoch" in r]
        lines.append(
            f"| `{v}` | {SPEED_VARIANTS[v][1]} | {rates[v]:,.0f} | "
            f"{min(r['rate'] for r in runs):,.0f} | {max(r['rate'] for r in runs):,.0f} | "
            f"{number(calm[v], ',.0f')} | "
            + (f"{rates[v] / idfd:.2f}x | " if idfd else "| ")
            + (f"{rates[v] / dl:.2f}x | " if dl else "| ")
            + f"{number(calm[v] / calm_idfd, '.2f', 'x')} | "
            + f"{median(r['setup_seconds'] for r in runs):.2f} | "
            f"{median(r['cpu_per_image_ms'] for r in runs):.2f} | "
            + (f"{median(second):,.0f} |" if second else "|")
        )
    lines += [
        "",
        "Every process, images/s (CPU used by other processes, in cores): "
        + "; ".join(
            f"`{v}` "
            + ", ".join(
                f"{r['rate']:,.0f} ({r['other_cores']:.2f})" for r in results[v]
            )
            for v in results
        )
        + ".",
    ]
    return lines


def quiet(runs):
    """The runs during which other processes used under `QUIET_CORES` of CPU."""
    return [r for r in runs if r["other_cores"] < QUIET_CORES]


def fit_ratios(results, a="fit_folder", b="fit_memory"):
    """`(ratio of medians, median per-round ratio, per CPU-second, quiet)` of a / b.

    `quiet`: the ratio of medians over quiet processes only (nan if either
    has none).
    """
    ra = [r["rate"] for r in results[a]]
    rb = [r["rate"] for r in results[b]]
    cpu = median(r["rate_cpu"] for r in results[a]) / median(
        r["rate_cpu"] for r in results[b]
    )
    per_round = median(x / y for x, y in zip(ra, rb, strict=True))
    qa, qb = quiet(results[a]), quiet(results[b])
    calm = (
        median(r["rate"] for r in qa) / median(r["rate"] for r in qb)
        if qa and qb
        else float("nan")
    )
    return median(ra) / median(rb), per_round, cpu, calm


def fit_lines(results, args):
    lines = [
        "### Training: DCGAN 64x64x3 fit() on the cached folder",
        "",
        f"`keras_gans.DCGAN(image_shape={SHAPE})`, `compile()` defaults, batch "
        f"{BATCH}, on the speed folder; a warm-up `fit()` of {args.fit_warmup} "
        f"steps (tracing), then a timed `fit()` of {args.fit_steps} steps. A "
        f"fresh process per number, the inputs alternating, {args.fit_rounds} "
        f"rounds. Quiet: the processes during which other processes used under "
        f"{QUIET_CORES} cores. Kernel CPU and minor page faults are per step, "
        "this process.",
        "",
        "| input | what | images/s (median) | min | max | quiet median | from the "
        "median step | images per CPU-s | kernel CPU s per step | page faults "
        "per step |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v in results:
        runs = results[v]
        calm = quiet(runs)
        lines.append(
            f"| `{v}` | {FIT_VARIANTS[v]} | {median(r['rate'] for r in runs):.1f} | "
            f"{min(r['rate'] for r in runs):.1f} | {max(r['rate'] for r in runs):.1f} | "
            + (f"{median(r['rate'] for r in calm):.1f} | " if calm else "- | ")
            + f"{median(r['rate_median_step'] for r in runs):.1f} | "
            f"{median(r['rate_cpu'] for r in runs):.1f} | "
            f"{median(r['sys_per_step'] for r in runs):.2f} | "
            f"{median(r['faults_per_step'] for r in runs):,.0f} |"
        )
    lines.append("")
    for a in results:
        if a == "fit_memory" or "fit_memory" not in results:
            continue
        ratio, per_round, cpu, calm = fit_ratios(results, a)
        lines.append(
            f"`{a}` / `fit_memory`: {ratio:.3f}x (ratio of medians), "
            f"{per_round:.3f}x (median of per-round ratios), {cpu:.3f}x per "
            f"CPU-second, {number(calm, '.3f', 'x')} over quiet processes."
        )
    lines += [
        "",
        "Every process, images/s (CPU used by other processes, in cores): "
        + "; ".join(
            f"`{v}` "
            + ", ".join(f"{r['rate']:.1f} ({r['other_cores']:.2f})" for r in results[v])
            for v in results
        )
        + ".",
    ]
    return lines


def findings(results, args):
    lines = ["### Findings (generated from the numbers above)", ""]
    if "memory" in results:
        counts = sorted(results["memory"])
        verdict = memory_verdict(results["memory"])
        lines.append(
            f"- Peak RssAnon, {counts[-1]:,} pictures minus {counts[0]:,}: "
            + "; ".join(
                f"{which} pass {diff:+.1f} MB" for which, (diff, _) in verdict.items()
            )
            + f". Within {MEMORY_LIMIT_MB:.0f} MB: "
            + ("**yes**" if all(ok for _, ok in verdict.values()) else "**no**")
            + "."
        )
    if "speed" in results:
        rates = {v: median(r["rate"] for r in rs) for v, rs in results["speed"].items()}
        parts = []
        for v in (
            "kg_first",
            "kg_cached",
            "kg_nocache",
            "kg_torch_first",
            "kg_torch_cached",
        ):
            if v in rates and "keras_idfd" in rates and "torch_dl" in rates:
                parts.append(
                    f"`{v}` {rates[v]:,.0f} images/s = "
                    f"{rates[v] / rates['keras_idfd']:.2f}x "
                    f"`image_dataset_from_directory`, "
                    f"{rates[v] / rates['torch_dl']:.2f}x the `DataLoader`"
                )
        if parts:
            lines.append("- Loading speed: " + "; ".join(parts) + ".")
    if "fit" in results and {"fit_folder", "fit_memory"} <= set(results["fit"]):
        ratio, per_round, cpu, calm = fit_ratios(results["fit"])
        lines.append(
            f"- `fit()` on the cached folder against in-memory tf.data: "
            f"{ratio:.3f}x (per-round {per_round:.3f}x, per CPU-second {cpu:.3f}x, "
            f"quiet processes {number(calm, '.3f', 'x')}). At least {FIT_TARGET}x: "
            + ("**yes**" if ratio >= FIT_TARGET else "**no**")
            + "."
        )
        if "fit_memory_mallopt" in results["fit"]:
            ratio, _, cpu, _ = fit_ratios(results["fit"], "fit_memory_mallopt")
            lines.append(
                f"- The in-memory pipeline after TensorFlow's generator-dataset "
                f"`mallopt`: {ratio:.3f}x `fit_memory` (per CPU-second {cpu:.3f}x)."
            )
    return lines


def render(results, args, machine, seconds, command):
    import PIL

    versions = {}
    for name in ("torch",):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001
            versions[name] = "?"
    other = [
        r["other_cores"]
        for part in ("speed", "fit")
        for runs in results.get(part, {}).values()
        for r in runs
    ]
    lines = [
        SECTION,
        "",
        f"Generated by `{command}` on {machine['date']}, in {seconds / 60:.1f} "
        "minutes.",
        "",
        f"- Machine: {machine['cpu']} ({machine['cpu_detail']}), "
        f"{machine['logical_cores']} logical cores ({machine['usable_cores']} "
        f"usable), {'no GPU' if not machine['gpus'] else str(machine['gpus']) + ' GPUs'}. "
        f"Python {machine['python']}, TensorFlow {machine['tensorflow']}, Keras "
        f"{machine['keras']}, PyTorch {versions['torch']}, Pillow {PIL.__version__}, "
        f"keras_gans {machine['keras_gans']}.",
        f"- Load: 1-min load average {machine['loadavg_before'][0]:.2f} before the "
        "run. CPU used by other processes during the timed speed and fit "
        "measurements (/proc/stat busy time minus the measuring process's): "
        + (
            f"median {median(other):.2f}, max {max(other):.2f} of "
            f"{machine['logical_cores']} cores."
            if other
            else "not measured."
        ),
        "- Pictures: synthetic JPEGs (colour gradients and a few filled shapes, "
        "quality 90) from `tools/make_image_folder.py`; they are smaller and "
        "simpler than photographs of the same size, so every loader decodes "
        "them faster than it would real photos.",
        "",
    ]
    if "memory" in results:
        lines += memory_lines(results["memory"]) + [""]
    if "speed" in results:
        lines += speed_lines(results["speed"], args) + [""]
    if "fit" in results:
        lines += fit_lines(results["fit"], args) + [""]
    lines += findings(results, args)
    return "\n".join(lines) + "\n"


# --- Main ------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run of a few minutes: small folders, one round, few steps",
    )
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--work-dir",
        default="/tmp/bench_folders",
        help="where the generated folders and temporary caches go",
    )
    parser.add_argument("--memory-counts", type=int, nargs="+", default=None)
    parser.add_argument("--memory-rounds", type=int, default=None)
    parser.add_argument("--speed-count", type=int, default=None)
    parser.add_argument("--speed-size", type=int, default=178)
    parser.add_argument("--speed-max-size", type=int, default=218)
    parser.add_argument(
        "--speed-variants",
        nargs="+",
        choices=list(SPEED_VARIANTS),
        default=list(SPEED_VARIANTS),
    )
    parser.add_argument("--rounds", type=int, default=None, help="speed rounds")
    parser.add_argument(
        "--fit-variants",
        nargs="+",
        choices=list(FIT_VARIANTS),
        default=list(FIT_VARIANTS),
    )
    parser.add_argument("--fit-rounds", type=int, default=None)
    parser.add_argument("--fit-steps", type=int, default=None)
    parser.add_argument("--fit-warmup", type=int, default=None)
    parser.add_argument("--json", default="", help="also write the raw results here")
    parser.add_argument(
        "--render",
        default="",
        help="measure nothing: write the section again from a --json file",
    )
    parser.add_argument(
        "--output",
        default=str(ROOT / "BENCHMARKS.md"),
        help="Markdown file whose section to write; '' to only print",
    )
    args = parser.parse_args(argv)
    defaults = {
        "memory_counts": ([100, 1000] if args.quick else [1000, 100000]),
        "memory_rounds": 1 if args.quick else 3,
        "speed_count": 500 if args.quick else 6400,
        "rounds": 1 if args.quick else 3,
        "fit_rounds": 1 if args.quick else 3,
        "fit_steps": 3 if args.quick else 12,
        "fit_warmup": 1 if args.quick else 2,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if "fit" in args.parts and "speed" not in args.parts:
        parser.error("--parts fit needs speed too (it fills the cache fit reads)")
    if args.fit_steps > args.speed_count // BATCH - args.fit_warmup:
        parser.error("--fit-steps + --fit-warmup must fit in one epoch of the folder")
    return args


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return None
    if args.render:
        return rerender(args)
    start = time.perf_counter()

    def log(text):
        print(f"[{time.perf_counter() - start:6.0f} s] {text}", flush=True)

    sys.path.insert(0, str(ROOT / "tools"))
    from machine import machine_info

    machine = machine_info()
    pathlib.Path(args.work_dir).mkdir(parents=True, exist_ok=True)
    results = {}
    if "memory" in args.parts:
        results["memory"] = run_memory(args, log)
    if "speed" in args.parts:
        results["speed"], folder, filled = run_speed(args, log)
        if "fit" in args.parts:
            results["fit"] = run_fit(args, log, folder, filled)
        shutil.rmtree(filled, ignore_errors=True)
    seconds = time.perf_counter() - start
    command = " ".join(["python tools/bench_folders.py", *argv])
    text = render(results, args, machine, seconds, command)
    print(text)
    log("done")
    if args.json:
        record = {
            "results": results,
            "machine": machine,
            "seconds": seconds,
            "argv": argv,
        }
        pathlib.Path(args.json).write_text(json.dumps(record, indent=1))
    if args.output:
        from report import write_report

        write_report(args.output, text, header=SECTION)
    return results


def rerender(args):
    """The section of a `--json` record, written again (after a change of layout)."""
    record = json.loads(pathlib.Path(args.render).read_text())
    results = record["results"]
    if "memory" in results:  # JSON made the picture counts strings
        results["memory"] = {int(n): v for n, v in results["memory"].items()}
    argv = record["argv"]
    command = " ".join(["python tools/bench_folders.py", *argv])
    text = render(
        results, parse_args(argv), record["machine"], record["seconds"], command
    )
    print(text)
    if args.output:
        sys.path.insert(0, str(ROOT / "tools"))
        from report import write_report

        write_report(args.output, text, header=SECTION)
    return results


if __name__ == "__main__":
    main()
