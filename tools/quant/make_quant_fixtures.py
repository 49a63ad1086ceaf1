#!/usr/bin/env python3
"""Quantization oracle fixtures: the `gguf` package's reference quantizers and dequantizers.

Usage (from the repository root, with the venv described in tools/README.md):

    .venv/bin/python tools/quant/make_quant_fixtures.py      # -> test/fixtures/quant/

Writes:

  inputs.json
      {"n_elements": 512, "cases": [{"name", "about", "f32": hex}]}: seeded float32 rows of 512 values (two
      256-element super-blocks, sixteen 32-element blocks), little-endian bytes as hex. Cases: weight-like normal
      values, normal values with outliers, all-zero blocks (one starting with -0.0), constant blocks, tiny values
      (f16-subnormal scales), exact rounding ties (x/d = k + 1/2), +max/-max ties (|x| maximal at two indices with
      opposite signs), already-ternary weights {-a, 0, +a}, blocks whose scales differ by powers of ten, uniform.
  <type>.json for Q8_0, Q4_0, Q4_K, Q6_K, TQ1_0, TQ2_0
      {"type", "block_size", "type_size",
       "quantize": [{"case", "bytes": hex, "f32": hex}] or null,
       "dequantize": [{"name", "bytes": hex, "f32": hex}]}
      "quantize" (types the package can quantize: Q8_0, Q4_0, TQ1_0, TQ2_0): gguf.quants.quantize(input) and
      gguf.quants.dequantize of those bytes, for every input case. null for Q4_K / Q6_K, which gguf 0.19 can only
      dequantize. "dequantize": random block bytes (every bit pattern of the quant fields; the f16 scale fields
      set to finite values of either sign) and gguf.quants.dequantize of them.

The TypeScript tests (test/quant/) require byte-identical quantize output and bit-identical dequantize output.
Deterministic: numpy.random.default_rng(SEED + case index); running again rewrites byte-identical files.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))

import common  # noqa: E402

import numpy as np  # noqa: E402
import gguf  # noqa: E402
from gguf import GGMLQuantizationType as Q  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402

SEED = 20250301
N = 512
OUT_DIR = common.FIXTURES_DIR / "quant"

# type -> byte offsets of its f16 scale fields inside one block (kept finite in the random-bytes cases)
F16_FIELDS = {
    Q.Q8_0: [0],
    Q.Q4_0: [0],
    Q.Q4_K: [0, 2],  # d, dmin
    Q.Q6_K: [208],  # d after ql[128] qh[64] scales[16]
    Q.TQ1_0: [52],  # d after qs[48] qh[4]
    Q.TQ2_0: [64],  # d after qs[64]
}
QUANTIZABLE = {Q.Q8_0, Q.Q4_0, Q.TQ1_0, Q.TQ2_0}


def hexf(a: np.ndarray) -> str:
    return np.ascontiguousarray(a, dtype=np.float32).tobytes().hex()


def make_inputs() -> list[dict]:
    cases: list[tuple[str, str, np.ndarray]] = []

    def rng(i: int) -> np.random.Generator:
        return np.random.default_rng(SEED + i)

    r = rng(0)
    cases.append(("normal", "N(0, 0.02) like trained weights", r.normal(0, 0.02, N)))

    r = rng(1)
    x = r.normal(0, 0.05, N)
    idx = r.choice(N, 12, replace=False)
    x[idx] *= r.uniform(20, 60, 12)
    cases.append(("outliers", "N(0, 0.05) with 12 values scaled by 20-60x", x))

    x = np.zeros(N)
    x[256:288] = np.linspace(-1, 1, 32)  # one non-zero 32-block in the second super-block
    x[480] = -0.0
    x[64] = -0.0  # a block starting with -0.0
    cases.append(("zeros", "all-zero blocks (one starting with -0.0), one non-zero block", x))

    x = np.empty(N)
    for b in range(N // 32):
        x[32 * b:32 * b + 32] = [0.5, -0.25, 3.0, 1e-3][b % 4]
    cases.append(("constant", "constant 32-blocks of 0.5, -0.25, 3, 1e-3", x))

    r = rng(4)
    x = r.normal(0, 1e-6, N)
    x[256:] *= 1e-3
    cases.append(("tiny", "N(0, 1e-6) and N(0, 1e-9): f16 subnormal or zero scales", x))

    # exact ties: Q8_0 d = 127/127 = 1 (x = k + 1/2), Q4_0 max = -8 -> d = 1, TQ d = 2 (x/d = +-1/2)
    x = np.empty(N)
    for b in range(N // 32):
        blk = np.arange(32) - 15.5  # -15.5 .. 15.5: every x*id lands on k + 1/2
        if b % 4 == 0:
            blk[0] = 127.0
        elif b % 4 == 1:
            blk[0] = -8.0
        elif b % 4 == 2:
            blk = np.resize([1.0, -1.0, 2.0, 0.5, -0.5, 1.5, -1.5, 0.0], 32)
        else:
            blk = np.resize([-2.0, 1.0, -1.0, 3.0, 0.25, -0.75], 32)
        x[32 * b:32 * b + 32] = blk
    cases.append(("ties", "values whose scaled value is exactly k + 1/2 for Q8_0, Q4_0, TQ*", x))

    r = rng(6)
    x = r.normal(0, 0.1, N)
    for b in range(N // 32):
        m = 0.75 * (b + 1)
        i, j = r.choice(32, 2, replace=False)
        x[32 * b + i] = -m if b % 2 else m
        x[32 * b + j] = m if b % 2 else -m
    x[0:256:32] = np.clip(x[0:256:32], -0.1, 0.1)
    cases.append(("pm-max", "each 32-block holds +m and -m (|x| maximal twice, opposite signs)", x))

    r = rng(7)
    a = 0.0625  # exact in f16
    x = r.choice([-a, 0.0, a], N)
    x[0:256:7] = a  # amax reached in both super-blocks
    x[256:512:5] = -a
    cases.append(("ternary", "already ternary: {-a, 0, +a}, a = 1/16", x))

    r = rng(8)
    x = r.normal(0, 1, N)
    for b in range(N // 32):
        x[32 * b:32 * b + 32] *= 10.0 ** ((b % 5) - 3)
    cases.append(("mixed-scale", "N(0, 1) with 32-blocks scaled by 1e-3 .. 10", x))

    r = rng(9)
    cases.append(("uniform", "U(-1, 1)", r.uniform(-1, 1, N)))

    out = []
    for name, about, x in cases:
        x = np.asarray(x, dtype=np.float32)
        assert x.shape == (N,)
        out.append({"name": name, "about": about, "values": x})
    return out


def random_blocks(qtype: Q, n_blocks: int, seed: int) -> np.ndarray:
    block_size, type_size = GGML_QUANT_SIZES[qtype]
    r = np.random.default_rng(seed)
    blocks = r.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    scales = (r.uniform(1e-4, 0.5, size=(n_blocks, len(F16_FIELDS[qtype]))) * r.choice([-1, 1], size=(n_blocks, 1)))
    scales = scales.astype(np.float16)
    scales[0, 0] = np.float16(6e-6)  # a subnormal f16 scale
    for k, off in enumerate(F16_FIELDS[qtype]):
        blocks[:, off:off + 2] = scales[:, k:k + 1].view(np.uint8)
    return blocks


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    inputs = make_inputs()
    common.write_json(OUT_DIR / "inputs.json", {
        "generator": "tools/quant/make_quant_fixtures.py",
        "versions": common.versions("gguf", "numpy"),
        "n_elements": N,
        "cases": [{"name": c["name"], "about": c["about"], "f32": hexf(c["values"])} for c in inputs],
    })
    for qi, qtype in enumerate([Q.Q8_0, Q.Q4_0, Q.Q4_K, Q.Q6_K, Q.TQ1_0, Q.TQ2_0]):
        block_size, type_size = GGML_QUANT_SIZES[qtype]
        quantize = None
        if qtype in QUANTIZABLE:
            quantize = []
            for c in inputs:
                q = gguf.quants.quantize(c["values"].reshape(1, N), qtype)
                assert q.dtype == np.uint8 and q.size == N // block_size * type_size
                deq = gguf.quants.dequantize(q, qtype).reshape(N)
                quantize.append({"case": c["name"], "bytes": q.tobytes().hex(), "f32": hexf(deq)})
        else:
            try:
                gguf.quants.quantize(inputs[0]["values"].reshape(1, N), qtype)
                raise SystemExit(f"gguf now quantizes {qtype.name}: add it to QUANTIZABLE")
            except NotImplementedError:
                pass
        dequantize = []
        for k, n_blocks in enumerate([3, 2]):
            blocks = random_blocks(qtype, n_blocks, SEED + 100 * (qi + 1) + k)
            deq = gguf.quants.dequantize(blocks.reshape(1, -1), qtype).reshape(-1)
            assert deq.dtype == np.float32 and deq.size == n_blocks * block_size
            dequantize.append({"name": f"random-{k}", "bytes": blocks.tobytes().hex(), "f32": hexf(deq)})
        path = OUT_DIR / f"{qtype.name.lower()}.json"
        common.write_json(path, {
            "generator": "tools/quant/make_quant_fixtures.py",
            "versions": common.versions("gguf", "numpy"),
            "type": qtype.name,
            "block_size": block_size,
            "type_size": type_size,
            "quantize": quantize,
            "dequantize": dequantize,
        })
    total = 0
    for p in sorted(OUT_DIR.glob("*.json")):
        total += p.stat().st_size
        print(f"{p.relative_to(common.REPO_ROOT)}  {common.human_size(p.stat().st_size)}  sha256 {common.sha256_file(p)[:12]}")
    print(f"total {common.human_size(total)}")


if __name__ == "__main__":
    main()
