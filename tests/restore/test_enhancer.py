"""Tests for cyclesem.restore.enhancer and the batch API of cyclesem.restore.enhance (no network needed)."""

from __future__ import annotations

from cyclesem import io
from cyclesem.restore.enhance import enhance_batch
from cyclesem.restore.enhancer import Enhancer, FunctionRestorer
from cyclesem.restore.onnx_runtime import OnnxNetwork
from cyclesem.restore.runs import Run
from cyclesem.restore.selective import SelectiveRestorer
from tests.helpers import micrograph


def _brighter() -> FunctionRestorer:
    return FunctionRestorer("brighter", lambda image: image * 0.5 + 0.25, "x 0.5 + 0.25")


def test_every_restorer_is_an_enhancer():
    for kind in (Run, OnnxNetwork, SelectiveRestorer, FunctionRestorer):
        assert issubclass(kind, Enhancer), kind
    assert isinstance(SelectiveRestorer(_brighter()), Enhancer) and not isinstance(object(), Enhancer)


def test_a_batch_writes_the_good_files_and_reports_the_others(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    good = [io.write_image(inputs / f"good{i}.png", micrograph((40, 48), seed=i), dtype="uint8") for i in range(2)]
    broken = inputs / "broken.png"
    broken.write_bytes(b"not an image")
    seen = []
    result = enhance_batch(_brighter(), [good[0], broken, good[1]], tmp_path / "out",
                           done=lambda path, problem: seen.append((path.name, bool(problem))))
    assert [target.name for _, target in result.written] == ["good0.png", "good1.png"]
    assert [path for path, _ in result.failures] == [str(broken)] and result.total == 3
    assert seen == [("good0.png", False), ("broken.png", True), ("good1.png", False)]
    assert result.described == "brighter: x 0.5 + 0.25"
    again = enhance_batch(_brighter(), good, tmp_path / "out")
    assert not again.written and all("output exists" in problem for _, problem in again.failures)


def test_a_batch_that_writes_nothing_leaves_no_output_folder(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    result = enhance_batch(_brighter(), [broken], tmp_path / "out")
    assert len(result.failures) == 1 and not (tmp_path / "out").exists()
