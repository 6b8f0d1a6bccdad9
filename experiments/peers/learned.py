"""CAREamics peers: CARE (supervised) and Noise2Void (self-supervised), trained on a CPU-time budget.

Training stops once the process has spent ``budget_s`` CPU seconds (user + system,
all threads: ``time.process_time``) since the fit started, checked after every
step, or earlier when CAREamics' own early stopping (CARE, on validation loss) ends
it. CPU time, not wall time: on a shared machine a wall-time budget buys 5 to 36
steps depending on the other jobs' load (measured here), a CPU budget the same work.
``WALL_CAP_S`` (Trainer ``max_time``) only guards against a starved process.
Patches of ``PATCH`` px are drawn by CAREamics from ``TILE`` px tiles of the
registered training pairs; prediction is tiled over the whole held-out image.
torch and careamics are imported here only, never by cyclesem.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
from pathlib import Path

import numpy as np

from experiments.peers.common import Pair, aligned_tiles, need, tiles

PATCH = 64
TILE = 128
BATCH = 16
PREDICT_TILE = (128, 128)
PREDICT_OVERLAP = (48, 48)
SEED = 1
MAX_EPOCHS = 100_000  # never reached: the CPU budget (or early stopping) ends training
WALL_CAP_S = 1800


def cpu_budget_callback(budget_s: float):
    """A Lightning callback that stops training after ``budget_s`` CPU seconds of this process."""
    from lightning.pytorch.callbacks import Callback

    class CpuBudget(Callback):
        def __init__(self):
            self.start = None
            self.used = 0.0

        def on_train_start(self, trainer, pl_module):
            self.start = time.process_time()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            self.used = time.process_time() - self.start
            if self.used >= budget_s:
                trainer.should_stop = True

    return CpuBudget()


def care_training_data(pairs: list[Pair]) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets): TILE px tiles (S, Y, X) of the registered pairs, the degraded image moved onto the target."""
    ins, outs = zip(*(aligned_tiles(p.reference, p.degraded, p.shift, TILE) for p in pairs))
    return np.concatenate(ins), np.concatenate(outs)


def n2v_training_data(pairs: list[Pair]) -> np.ndarray:
    """TILE px tiles (S, Y, X) of the degraded images only (no target is looked at)."""
    return np.concatenate([tiles(p.degraded, TILE) for p in pairs])


def _quiet():
    for name in ("lightning", "lightning.pytorch", "pytorch_lightning", "careamics"):
        logging.getLogger(name).setLevel(logging.WARNING)


def train(method: str, inputs: np.ndarray, targets: np.ndarray | None, budget_s: float, work_dir: Path):
    """Train ``care`` or ``n2v`` on (S, Y, X) arrays; returns (CAREamist, fit record)."""
    need("torch")
    careamics = need("careamics")
    from careamics.config import create_advanced_care_config, create_advanced_n2v_config

    _quiet()
    common = dict(
        experiment_name=f"peers_{method}", data_type="array", axes="SYX", patch_size=[PATCH, PATCH],
        batch_size=BATCH, num_epochs=MAX_EPOCHS, num_workers=0, seed=SEED,
        trainer_params={"max_time": {"seconds": WALL_CAP_S}, "enable_model_summary": False},
    )
    if method == "care":
        config = create_advanced_care_config(**common)
    elif method == "n2v":
        config = create_advanced_n2v_config(**common)
    else:
        raise ValueError(f"unknown learned method {method!r}")
    work_dir.mkdir(parents=True, exist_ok=True)
    budget = cpu_budget_callback(budget_s)
    model = careamics.CAREamist(config, work_dir=work_dir, callbacks=[budget], enable_progress_bar=False)
    start, cpu_start = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(io.StringIO()):
        if method == "care":
            model.train(train_data=inputs, train_data_target=targets)
        else:
            model.train(train_data=inputs)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    trainer = model.trainer
    import torch

    fit = {"seconds": seconds, "steps": int(trainer.global_step), "epochs": int(trainer.current_epoch),
           "detail": (f"CPU budget {budget_s:g} s, CPU used {cpu_seconds:.1f} s ({budget.used:.1f} s in steps), "
                      f"{len(inputs)} tiles {TILE} px, "
                      f"patch {PATCH}, batch {BATCH}, seed {SEED}, torch threads {torch.get_num_threads()}, "
                      f"careamics {careamics.__version__}, torch {torch.__version__}")}
    return model, fit


def predict(model, images: list[np.ndarray]) -> list[np.ndarray]:
    """The model's tiled predictions of 2-D images (one CAREamics call per image shape), float32 (Y, X) each."""
    images = [np.asarray(image, np.float32) for image in images]
    outputs: list[np.ndarray | None] = [None] * len(images)
    for shape in sorted({image.shape for image in images}):
        where = [i for i, image in enumerate(images) if image.shape == shape]
        stack = np.stack([images[i] for i in where])
        with contextlib.redirect_stdout(io.StringIO()):
            result = model.predict(pred_data=stack, data_type="array", axes="SYX",
                                   tile_size=PREDICT_TILE, tile_overlap=PREDICT_OVERLAP, batch_size=4)
        if isinstance(result, tuple):  # careamics 0.3: (predictions, sources)
            result = result[0]
        out = np.concatenate([np.asarray(r, np.float32).reshape(-1, *shape) for r in result])
        if out.shape != stack.shape:
            raise ValueError(f"predictions have shape {out.shape}, the images {stack.shape}")
        for i, prediction in zip(where, out):
            outputs[i] = prediction
    return outputs
