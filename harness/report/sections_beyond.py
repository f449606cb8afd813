"""The report's sections beyond the paper (large logits, asymmetric attention, real
attention), the failed cells and the run itself (identity, machine, configuration)."""

from __future__ import annotations

import json

import pandas as pd

from attnbench.numbers import count, given, percent, span
from attnbench.paper import PAPER_REGIME_R
from attnbench.report import findings, tables
from attnbench.report.context import run_bullets, section
from attnbench.report.render import (
    Code,
    Paragraph,
)
from attnbench.report.sections import error_vs_r_figures, r_sweeps


@section("Beyond the paper: large logits", 45)
def large_logits_section(ctx):
    # Only experiments that sweep r say where the error stops being O(r).
    swept = r_sweeps(ctx.cells)
    large = tables.large_logit_frame(swept) if len(swept) else pd.DataFrame()
    if large.empty:
        return []
    holds = large["beats zero until"].str.startswith(">=").sum()
    judged = (large["beats zero until"] != "(reference)").sum()
    return [
        Paragraph(
            f"The paper assumes r < {given(PAPER_REGIME_R)}; real logits reach 10 and more. Per "
            "reducer and family: err/r in the paper's regime, the first r at which err/r "
            f"exceeds {given(tables.OR_SLACK)} times that (the error stops being O(r)), and the "
            "first r at which the median skill is <= 0 (no better than the m = 0 reducer). "
            f"{holds} of {judged} reducer-family pairs beat m = 0 up to the largest r swept. "
            + " ".join(findings.large_logits(ctx))
        ),
        ctx.table(
            "large_logits",
            large,
            "Where the error stops being O(r), and where it stops beating the m = 0 reducer",
        ),
    ]


@section("Beyond the paper: asymmetric attention", 46)
def asymmetric_section(ctx):
    asym = ctx.asymmetric_cells
    synthetic = asym[~asym["dataset.family"].str.startswith("minilm")]
    if synthetic.empty:
        return []
    table = tables.medians_frame(synthetic, ["dataset.family", "dataset.r", "variant"])
    beats = table[table["skill"] > 0].groupby("dataset.r")["variant"].nunique()
    return [
        Paragraph(
            "A(Q, K) = D^-1 exp(QK^T) with Q != K, one reducer fitted on [Q; K] and applied "
            "to both. What carries over from a spectral bound on [Q; K] is approximate matrix "
            "multiplication: logit_err_frob = ||Q'K'^T - QK^T||_F / (||Q||_F ||K||_F). "
            "output_err is the relative error of A V, the quantity a model uses. Variants "
            "with median skill > 0, per r: "
            + ", ".join(f"r={given(r)}: {n}" for r, n in beats.items())
            + "."
        ),
        *error_vs_r_figures(ctx, synthetic, "asymmetric_error_vs_r", "Asymmetric attention: "),
        ctx.table(
            "asymmetric",
            table,
            "Asymmetric attention: medians per family, r and reducer variant",
        ),
    ]


@section("Beyond the paper: real attention", 47)
def real_attention_section(ctx):
    real = ctx.asymmetric_cells[ctx.asymmetric_cells["dataset.family"].str.startswith("minilm")]
    if real.empty:
        return []
    layer = real["dataset.params"].map(lambda p: str(p.get("layer", "")))
    table = tables.medians_frame(real.assign(layer=layer), ["layer", "dataset.d", "variant"])
    native = real.groupby(["dataset.d"])["stats.r"].agg(["min", "max"])
    better = int((real["skill"] > 0).sum())
    scale = ", ".join(
        f"{span(row['min'], row['max'])} at d = {d}" for d, row in native.iterrows()
    )
    return [
        Paragraph(
            "The per-layer Q, K, V of all-MiniLM-L6-v2 on a shipped paragraph (one head, "
            "d = 32, and all heads side by side, d = 384), at the model's own logit scale: "
            f"max |QK^T| {scale}. Here d is not >> n. {count(better)} of {count(len(real))} cells "
            f"({percent(better / len(real))}) beat the m = 0 reducer; the exact svd needs "
            "m = rank [Q; K], which is d."
        ),
        ctx.table(
            "minilm_attention",
            table,
            "Real MiniLM attention: medians per layer, width d and reducer variant",
        ),
    ]


@section("Failures", 50)
def failures_section(ctx):
    frame = tables.failures_frame(ctx.all_cells)
    if frame.empty:
        return []
    return [ctx.table("failures", frame, "Cells that failed or timed out (last line of the error)")]



@section("Run", 90)
def run_section(ctx):
    return [
        run_bullets(ctx.info),
        ctx.table(
            "reducers",
            tables.reducers_frame(ctx.facts.reducers),
            "The reducers as the run saw them (stored with it): family, cost model, defaults",
        ),
        ctx.table(
            "cells",
            tables.export_frame(ctx.all_cells),
            "Every cell of the run",
            formats=("csv",),
            inline=False,
        ),
        *_configuration(ctx.info.get("config", ""), ctx.facts),
    ]


def _configuration(text, facts):
    if text.strip():
        return [
            Paragraph("The configuration, as stored with the run (rerun it with attnbench run):"),
            Code(text),
        ]
    return [
        Paragraph(
            "The run was built by a command, not from a TOML file; its plan as stored "
            "(rerun it with attnbench rerun):"
        ),
        Code(json.dumps(facts.plan, indent=2), language="json"),
    ]


