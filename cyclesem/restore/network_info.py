"""What an exported network carries besides its weights.

An ONNX file written by cyclesem holds these as ``metadata_props`` (string
pairs under the ``cyclesem.`` prefix), so the file alone is enough to enhance:
the kind of network, the percentiles of its input normalisation and a line
saying where it came from. No TensorFlow, ONNX or onnxruntime is imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cyclesem.errors import CyclesemError
from cyclesem.data.normalize import PercentileNormalizer

__all__ = ["NetworkInfo", "PREFIX", "STRIDE"]

PREFIX = "cyclesem."
STRIDE = 16
"""Every cyclesem network pads to a multiple of this; tiles use the same grid."""


@dataclass(frozen=True)
class NetworkInfo:
    """Facts about an exported enhancement network.

    Parameters
    ----------
    name : str
        A short name (the run folder's or the pretrained model's).
    kind : str
        ``"cyclegan"``, ``"midnet"`` or ``"nafnet"``.
    norm_low, norm_high : float
        Input percentiles mapped to 0 and 1 before the network; the output is
        mapped back with the same levels.
    source : str
        One line: where the weights came from (run, steps, training time).
    limit_to_support : bool
        Enhancement filters each output to the detail its input supports
        (:func:`cyclesem.restore.support.limit_to_support`), as the run's did.
    keep_grey_levels : bool
        Enhancement then gives each output its input's grey levels
        (:func:`cyclesem.restore.grey_levels.keep_grey_levels`), as the run's did.
    """

    name: str
    kind: str
    norm_low: float
    norm_high: float
    source: str = ""
    limit_to_support: bool = False
    keep_grey_levels: bool = False

    @property
    def normalizer(self) -> PercentileNormalizer:
        """The percentile normaliser of the network's input and output."""
        return PercentileNormalizer(self.norm_low, self.norm_high)

    def to_metadata(self) -> dict[str, str]:
        """The string pairs stored in an ONNX file."""
        values = {"name": self.name, "kind": self.kind, "norm_low": repr(self.norm_low),
                  "norm_high": repr(self.norm_high), "source": self.source, "stride": str(STRIDE),
                  "limit_to_support": "true" if self.limit_to_support else "false",
                  "keep_grey_levels": "true" if self.keep_grey_levels else "false"}
        return {PREFIX + key: value for key, value in values.items()}

    @classmethod
    def from_metadata(cls, mapping: dict[str, str], path: str | os.PathLike | None = None) -> NetworkInfo:
        """Read the pairs written by :meth:`to_metadata`.

        Raises
        ------
        CyclesemError
            If a pair is missing or the percentiles are not numbers: the file
            was not exported by cyclesem, and its normalisation is unknown.
        """
        missing = [key for key in ("name", "kind", "norm_low", "norm_high") if PREFIX + key not in mapping]
        if missing:
            raise CyclesemError(
                "not a cyclesem export (its metadata lacks " + ", ".join(PREFIX + k for k in missing)
                + "); export networks with `cyclesem export`", path)
        try:
            low, high = float(mapping[PREFIX + "norm_low"]), float(mapping[PREFIX + "norm_high"])
        except ValueError:
            raise CyclesemError("the normalisation percentiles in its metadata are not numbers", path) from None
        return cls(mapping[PREFIX + "name"], mapping[PREFIX + "kind"], low, high,
                   mapping.get(PREFIX + "source", ""), mapping.get(PREFIX + "limit_to_support") == "true",
                   mapping.get(PREFIX + "keep_grey_levels") == "true")
