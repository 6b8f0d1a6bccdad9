"""`cyclesem compare`: methods on a tiny benchmark and on real-like pairs, end to end."""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from cyclesem.evaluate import compare, methods
from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from cyclesem.io import write_image
from synth.blur import blur
from synth.phantoms import make_phantom
from cyclesem.restore.classical.psf import gaussian_psf

SIZE = 48


@pytest.fixture(scope="module")
def benchmark(tmp_path_factory):
    """A benchmark folder made by hand: three blurred phantoms, their PSFs and a manifest."""
    root = tmp_path_factory.mktemp("bench")
    psf = gaussian_psf(1.5)
    for index in range(3):
        clear = make_phantom("particles", SIZE, seed=index)
        write_image(root / "test" / "clear" / f"img{index}.tif", clear, dtype="uint16")
        write_image(root / "test" / "blurry" / f"img{index}.tif", blur(clear, psf), dtype="uint16")
        (root / "test" / "psf").mkdir(exist_ok=True)
        np.save(root / "test" / "psf" / f"img{index}.npy", psf)
    manifest = {"recipe": {"name": "gaussian", "description": "Gaussian blur"}, "seed": 1, "size": SIZE}
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def _broken(image, psf):
    raise RuntimeError("this method always fails")


def test_compare_runs_end_to_end_and_reports_a_failing_method(benchmark, tmp_path, monkeypatch):
    monkeypatch.setitem(compare.BUILTIN_METHODS, "broken", compare.Method("broken", _broken, False, "fails"))
    source = compare.benchmark_source(benchmark)
    out = tmp_path / "report"
    result = compare.run_comparison(source, ["identity", "wiener", "blind", "broken"], out, progress=False)
    assert {p.name for p in out.iterdir()} == {"metrics.csv", "report.md", "report.html"}
    assert len(result.rows) == 9 and {row["method"] for row in result.rows} == {"identity", "wiener", "blind"}
    assert [what for what, _ in result.failures] == [f"img{i} / broken" for i in range(3)]
    assert "always fails" in result.failures[0][1]
    mean = {row.method: row.mean for row in result.summary}
    assert mean["wiener"]["psnr"] > mean["identity"]["psnr"] + 1.0
    with open(out / "metrics.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == ["image", "method", "psnr", "ssim", "ag", "con", "sf", "focus", "seconds"]
    assert len(table) == 9
    markdown = (out / "report.md").read_text()
    assert "| method | n | PSNR (dB)" in markdown and "Failed: img0 / broken" in markdown
    assert "recipe: gaussian" in markdown and "## Defocus maps" in markdown
    assert not list(tmp_path.glob(".report.*"))


def test_the_title_names_the_benchmark_once(benchmark, tmp_path):
    """The demo's folder is called ``benchmark``: no "Comparison on benchmark benchmark"."""
    titles = {}
    for name in ("benchmark", "bench-hybrid", "nanowires"):
        shutil.copytree(benchmark, tmp_path / name)
        titles[name] = compare._title(compare.benchmark_source(tmp_path / name))
    assert titles == {"benchmark": "Comparison on benchmark (recipe gaussian)",
                      "bench-hybrid": "Comparison on bench-hybrid (recipe gaussian)",
                      "nanowires": "Comparison on benchmark nanowires (recipe gaussian)"}


def test_a_bad_image_is_reported_and_the_rest_goes_on(benchmark, tmp_path):
    damaged = tmp_path / "bench"
    shutil.copytree(benchmark, damaged)
    truncated = damaged / "test" / "blurry" / "img1.tif"
    truncated.write_bytes(truncated.read_bytes()[:50])
    result = compare.run_comparison(compare.benchmark_source(damaged), ["identity"], tmp_path / "out", progress=False)
    assert [row["image"] for row in result.rows] == ["img0", "img2"]
    assert [what for what, _ in result.failures] == ["img1"]


def test_pairs_skip_methods_that_need_a_psf_and_can_be_registered(tmp_path):
    field = make_phantom("grains", 96, seed=3)
    for side, (dy, dx) in (("sharp", (0, 0)), ("blurry", (3, -2))):
        for index in range(2):
            crop = field[10 + dy + index : 74 + dy + index, 10 + dx : 74 + dx]
            write_image(tmp_path / side / f"field{index}.png", crop, dtype="uint16")
    source = compare.pairs_source(tmp_path / "blurry", tmp_path / "sharp")
    plain = compare.run_comparison(source, ["identity", "wiener", "unsharp"], tmp_path / "plain", progress=False)
    registered = compare.run_comparison(source, ["identity"], tmp_path / "registered", register=True, progress=False)
    assert {row["method"] for row in plain.rows} == {"identity", "unsharp"}
    assert any("wiener" in note for note in plain.notes)
    assert registered.summary[0].mean["psnr"] > plain.summary[0].mean["psnr"] + 10.0


class _FakeRun:
    name = "fake-run"

    def enhance(self, image):
        return np.asarray(image, np.float32) * 1.0

    def describe(self):
        return "fake-run: cyclegan, 10 steps"


def test_a_run_folder_is_a_method(benchmark, tmp_path, monkeypatch):
    import cyclesem.restore.runs

    monkeypatch.setattr(cyclesem.restore.runs, "load_run", lambda path: _FakeRun())
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    result = compare.run_comparison(
        compare.benchmark_source(benchmark), ["identity", str(run_dir)], tmp_path / "out", progress=False
    )
    rows = {row.method: row for row in result.summary}
    assert rows["fake-run"].mean["psnr"] == pytest.approx(rows["identity"].mean["psnr"])
    assert "fake-run: cyclegan, 10 steps" in (tmp_path / "out" / "report.html").read_text()


def test_an_existing_output_folder_needs_overwrite(benchmark, tmp_path):
    source = compare.benchmark_source(benchmark)
    out = tmp_path / "out"
    compare.run_comparison(source, ["identity"], out, progress=False)
    with pytest.raises(CyclesemError, match="overwrite"):
        compare.run_comparison(source, ["identity"], out, progress=False)
    compare.run_comparison(source, ["identity", "unsharp"], out, overwrite=True, progress=False)
    assert "unsharp" in (out / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_unknown_methods_are_a_user_error(benchmark, tmp_path):
    with pytest.raises(CyclesemError, match="unknown method"):
        compare.run_comparison(compare.benchmark_source(benchmark), ["identity", "nope"], tmp_path / "out")


def test_cli_prints_the_table_and_the_report_path(benchmark, tmp_path):
    out = tmp_path / "out"
    args = ["compare", "--benchmark", str(benchmark), "--methods", "identity,wiener", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "| wiener |" in result.output and f"Report: {out / 'report.html'}" in result.output
    assert "cyclesem compare --benchmark" in (out / "report.html").read_text()


def test_cli_needs_exactly_one_source(tmp_path):
    result = CliRunner().invoke(main, ["compare", "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and "--benchmark" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_default_methods_match_the_library():
    from cyclesem.cli import compare as cli_compare

    assert cli_compare.DEFAULT_METHODS == ",".join(compare.DEFAULT_METHODS)


def _fitted_run(folder, psf):
    """A run folder holding only the degradation a physical CycleGAN would have fitted."""
    folder.mkdir()
    size = 25
    image = np.zeros((size, size))
    image[(size - psf.shape[0]) // 2:(size + psf.shape[0]) // 2, (size - psf.shape[1]) // 2:(size + psf.shape[1]) // 2] = psf
    (folder / "degradation.json").write_text(json.dumps({"psf": {"image": image.tolist(), "equivalent_sigma_px": 1.5}}))
    return folder


def test_classical_methods_with_a_runs_estimated_psf(benchmark, tmp_path):
    run = _fitted_run(tmp_path / "run", gaussian_psf(1.5))
    chosen, failures = methods.resolve_methods(["identity", f"wiener:{run}", f"rl:{run}"])
    assert not failures and [m.name for m in chosen][1:] == [f"wiener:{run}", f"rl:{run}"]
    assert not any(m.needs_psf for m in chosen)  # the PSF comes from the run, so real pairs get them too
    assert "estimated by the run" in chosen[1].details
    result = compare.run_comparison(compare.benchmark_source(benchmark), [m.name for m in chosen],
                                    tmp_path / "report", progress=False)
    mean = {row.method: row.mean for row in result.summary}
    assert mean[f"wiener:{run}"]["psnr"] > mean["identity"]["psnr"] + 1.0


def test_a_psf_method_of_a_run_without_degradation_is_reported(tmp_path):
    (tmp_path / "old").mkdir()
    chosen, failures = methods.resolve_methods(["identity", f"wiener:{tmp_path / 'old'}"])
    assert [m.name for m in chosen] == ["identity"]
    assert "no estimated PSF" in failures[0][1]
    with pytest.raises(CyclesemError, match="METHOD:RUN"):
        methods.resolve_methods([f"wiener:{tmp_path / 'nowhere'}"])


def test_images_as_tasks_on_a_cluster_give_the_same_scores(benchmark, tmp_path):
    pytest.importorskip("distributed")
    from cyclesem.restore.distributed import cluster_client

    shutil.copytree(benchmark, tmp_path / "bench")
    (tmp_path / "bench" / "test" / "blurry" / "img1.tif").write_bytes(b"II*\x00broken")
    source = compare.benchmark_source(tmp_path / "bench")
    names = ["identity", "wiener", "blind"]
    alone = compare.run_comparison(source, names, tmp_path / "alone", progress=False)
    with cluster_client(workers=1) as client:
        spread = compare.run_comparison(source, names, tmp_path / "spread", progress=False, client=client)

    def scores(rows):
        return [{key: value for key, value in row.items() if key != "seconds"} for row in rows]

    assert len(spread.rows) == 6 and scores(spread.rows) == scores(alone.rows)
    assert spread.failures == alone.failures and [what for what, _ in spread.failures] == ["img1"]
    assert {p.name for p in (tmp_path / "spread").iterdir()} == {"metrics.csv", "report.md", "report.html"}
