"""Plots are PNGs drawn on their own canvas: the caller's matplotlib backend stays as it was."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib.image import imread

SRC = Path(__file__).resolve().parents[2] / "src"
REPORT = {"bits": 8, "directions": {"i2t": {"curves": {
    "pr_radius": {"radius": [0, 1, 2], "recall": [0.1, 0.5, 1.0], "precision": [1.0, 0.8, 0.5]},
    "p_at_k": {"k": [1, 10, 20], "precision": [1.0, 0.7, 0.6], "recall": [0.1, 0.5, 0.9]},
}}}}
SCRIPT = """
import json, sys
import matplotlib
matplotlib.use("svg")  # the user's choice, e.g. a notebook's inline backend
from cmhash.metrics import plot_pr_curve, plot_precision_at_k
report, out = json.loads(sys.argv[1]), sys.argv[2]
plot_pr_curve(report, out + "/pr.png")
plot_precision_at_k(report, out + "/p_at_k.png")
print(json.dumps({"backend": matplotlib.get_backend(),
                  "pyplot": "matplotlib.pyplot" in sys.modules}))
"""
LINE_COLOUR = np.array([0x1F, 0x77, 0xB4]) / 255  # matplotlib's first colour, "C0"


def test_plots_leave_the_backend_alone_and_draw_their_curves(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(REPORT), str(tmp_path)],
                          env=env, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {"backend": "svg", "pyplot": False}
    for name in ("pr.png", "p_at_k.png"):
        image = imread(tmp_path / name)  # 5 × 4 inches at 110 dpi, cropped to the drawing
        assert 350 < image.shape[0] < 480 and 450 < image.shape[1] < 600
        line = (np.abs(image[..., :3] - LINE_COLOUR) < 0.05).all(axis=-1)
        assert line.sum() > 100  # the direction's curve (and its legend entry) are drawn
