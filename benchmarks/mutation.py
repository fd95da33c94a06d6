"""Mutation testing: do the tests fail when the package is broken on purpose?

Each mutant is a named, hand-written substitution (a swapped loss target, a flipped sign, a network left out
of the optimisers, ``n_critic`` ignored ...), made in a temporary copy of the package and the tests (the real
files are never edited); pytest then runs the test files in that copy, which imports the mutated package. A
mutant is *killed* when a test fails (or errors, or the run times out) and *survives* when every test
passes. The unmutated copy is run first and must pass.

    python benchmarks/mutation.py                  # every mutant; writes results/mutation/results.{md,json}
    python benchmarks/mutation.py --quick          # 3 mutants against the fast loss tests (smoke run)
    python benchmarks/mutation.py --only ema-inverted,n-critic-ignored
    python benchmarks/mutation.py --list           # names, files, what each breaks
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from minority_gen.evaluation.report import command_line, run_stamp, table_lines, write_results

ROOT = Path(__file__).resolve().parents[1]
#: Test files run against every mutant, fastest first (pytest stops at the first failure).
TESTS = ("tests/test_losses_nondegenerate.py", "tests/test_losses.py", "tests/test_losses_conditional.py",
         "tests/test_wiring.py", "tests/test_sample_quality.py", "tests/test_methods_conditional.py",
         "tests/test_oversampler.py", "tests/test_behaviour_baselines.py", "tests/test_behaviour.py",
         "tests/test_mine_marginal.py", "tests/test_boundary.py")
#: What the copy needs besides the package and the tests (test_behaviour loads its toys from sample_quality.py).
COPIED = ("minority_gen", "tests", "benchmarks/sample_quality.py", "pyproject.toml")
QUICK = ("rumi-sgan-fake-target", "lsgan-targets-swapped", "ac-d-fake-target")


@dataclass(frozen=True)
class Mutant:
    """Replace ``old`` by ``new`` in ``path`` (``old`` must occur exactly once there)."""

    name: str
    path: str
    old: str
    new: str
    breaks: str
    note: str = ""  #: why a survivor survives (an equivalent mutant), shown in the report

    def check(self, root: Path = ROOT) -> str:
        """The text of ``path`` under ``root``; ``ValueError`` unless ``old`` occurs there exactly once."""
        text = (root / self.path).read_text()
        if (count := text.count(self.old)) != 1:
            raise ValueError(f"mutant {self.name!r}: the text to replace occurs {count} times in {self.path}, "
                             f"not once; update the mutant:\n{self.old}")
        return text

    def apply(self, root: Path) -> None:
        """Make the substitution in the copy under ``root``."""
        (root / self.path).write_text(self.check(root).replace(self.old, self.new))


L, T, P, B = "minority_gen/losses.py", "minority_gen/training.py", "minority_gen/plan.py", "minority_gen/batches.py"
M = "minority_gen/methods/"

# The table keeps each substitution whole on its lines, so some run past 120 characters.
# ruff: noqa: E501

MUTANTS = [
    # ---- loss targets, signs, weights, dropped terms (losses.py) --------------------------------------------
    Mutant("rumi-lsgan-pos-target", L, 'terms["pos"] = beta_pos * least_squares(d_pos, b_pos)',
           'terms["pos"] = beta_pos * least_squares(d_pos, b_neg)', "Rumi-LSGAN positive target b+ replaced by b-"),
    Mutant("rumi-lsgan-neg-target", L, 'terms["neg"] = beta_neg * least_squares(d_neg, b_neg)',
           'terms["neg"] = beta_neg * least_squares(d_neg, a)', "Rumi-LSGAN negative target b- replaced by a"),
    Mutant("rumi-lsgan-fake-target", L, 'terms["fake"] = fake_weight * least_squares(d_fake, a)',
           'terms["fake"] = fake_weight * least_squares(d_fake, b_neg)', "Rumi-LSGAN fake target a replaced by b-"),
    Mutant("rumi-lsgan-fake-weight-dropped", L, 'terms["fake"] = fake_weight * least_squares(d_fake, a)',
           'terms["fake"] = least_squares(d_fake, a)', "split schedule's ½ on the fake term dropped"),
    Mutant("rumi-lsgan-beta-neg-dropped", L, 'terms["neg"] = beta_neg * least_squares(d_neg, b_neg)',
           'terms["neg"] = least_squares(d_neg, b_neg)', "weight β- dropped"),
    Mutant("rumi-lsgan-g-sign", L, 'Rumi-LSGAN generator loss ``E[(D(G(z)) - c)^2]``."""\n    return {"adv": least_squares(d_fake, c)}',
           'Rumi-LSGAN generator loss ``E[(D(G(z)) - c)^2]``."""\n    return {"adv": -least_squares(d_fake, c)}',
           "Rumi-LSGAN generator loss sign flipped"),
    Mutant("rumi-sgan-pos-target", L, "F.binary_cross_entropy_with_logits(l_pos, torch.ones_like(l_pos))",
           "F.binary_cross_entropy_with_logits(l_pos, torch.zeros_like(l_pos))", "Rumi-SGAN positives labelled 0"),
    Mutant("rumi-sgan-neg-target", L, "F.binary_cross_entropy_with_logits(l_neg, torch.zeros_like(l_neg))",
           "F.binary_cross_entropy_with_logits(l_neg, torch.ones_like(l_neg))", "Rumi-SGAN negatives labelled 1"),
    Mutant("rumi-sgan-fake-target", L, "F.binary_cross_entropy_with_logits(l_fake, torch.zeros_like(l_fake)),",
           "F.binary_cross_entropy_with_logits(l_fake, torch.ones_like(l_fake)),",
           "Rumi-SGAN fakes labelled 1 (the old test sat at logit 0)"),
    Mutant("rumi-sgan-alpha-neg-dropped", L, '"neg": alpha_neg * F.', '"neg": F.', "weight α- dropped"),
    Mutant("nonsaturating-g-target", L, '{"adv": F.binary_cross_entropy_with_logits(l_fake, torch.ones_like(l_fake))}',
           '{"adv": F.binary_cross_entropy_with_logits(l_fake, torch.zeros_like(l_fake))}',
           "non-saturating generator target 1 → 0"),
    Mutant("lsgan-targets-swapped", L, '{"real": least_squares(d_real, b), "fake": least_squares(d_fake, a)}',
           '{"real": least_squares(d_real, a), "fake": least_squares(d_fake, b)}', "LSGAN real/fake targets swapped"),
    Mutant("lsgan-g-target", L, 'def lsgan_g(d_fake: Tensor, *, c: float = 1.0) -> Terms:\n'
           '    """LSGAN generator loss ``E[(D(G(z)) - c)^2]``."""\n    return {"adv": least_squares(d_fake, c)}',
           'def lsgan_g(d_fake: Tensor, *, c: float = 1.0) -> Terms:\n'
           '    """LSGAN generator loss ``E[(D(G(z)) - c)^2]``."""\n    return {"adv": least_squares(d_fake, 0.0)}',
           "LSGAN generator pushes towards the fake target"),
    Mutant("ac-d-real-target", L, '{"real": bce(l_real, 1), "fake": bce(l_fake, 0), "cls_real"',
           '{"real": bce(l_real, 0), "fake": bce(l_fake, 0), "cls_real"', "AC-GAN real rows labelled fake"),
    Mutant("ac-d-fake-target", L, '{"real": bce(l_real, 1), "fake": bce(l_fake, 0), "cls_real"',
           '{"real": bce(l_real, 1), "fake": bce(l_fake, 1), "cls_real"', "AC-GAN fake rows labelled real"),
    Mutant("ac-d-cls-fake-labels", L, 'terms["cls_fake"] = F.cross_entropy(c_fake, y_fake)',
           'terms["cls_fake"] = F.cross_entropy(c_fake, y_fake.roll(1))', "classifier on fakes gets other rows' labels"),
    Mutant("ac-g-adv-target", L, '{"adv": bce(l_fake, 1), "cls"', '{"adv": bce(l_fake, 0), "cls"',
           "AC-GAN generator target 1 → 0 (it helps D)"),
    Mutant("ac-g-lambda-dropped", L, '"cls": lambda_cls * F.cross_entropy(c_fake, y_fake)',
           '"cls": F.cross_entropy(c_fake, y_fake)', "λ_cls ignored"),
    Mutant("tac-twin-g-sign", L, '{"twin": -lambda_tac * F.cross_entropy', '{"twin": lambda_tac * F.cross_entropy',
           "generator helps the twin instead of fighting it"),
    Mutant("tac-twin-d-sign", L, 'return {"twin": F.cross_entropy(c_twin_fake, y_fake)}',
           'return {"twin": -F.cross_entropy(c_twin_fake, y_fake)}', "twin head maximises its own loss"),
    Mutant("mine-correction-dropped-in-loss", L, "lme = d + torch.exp(d - log_ma.detach()) * (lme - d)",
           "lme = lme", "MINE bias correction dropped (gradient ∇E/E)"),
    Mutant("mine-correction-inverted", L, "lme = d + torch.exp(d - log_ma.detach()) * (lme - d)",
           "lme = d + torch.exp(log_ma.detach() - d) * (lme - d)", "MINE correction factor inverted (E·∇E/ma²)"),
    Mutant("mine-t-sign", L, 'return {"mine": -mine_dv(t_joint, t_marginal, log_ma)}',
           'return {"mine": mine_dv(t_joint, t_marginal, log_ma)}', "T minimises the MI bound"),
    Mutant("mine-g-sign", L, 'return {"mi": lambda_mi * mine_dv', 'return {"mi": -lambda_mi * mine_dv',
           "generator maximises the MI estimate"),
    Mutant("log-mean-exp-count", L, "torch.logsumexp(t.reshape(-1), 0) - math.log(t.numel())",
           "torch.logsumexp(t.reshape(-1), 0)", "log E[exp T] without the 1/n"),
    Mutant("moving-average-rate-inverted", L, "torch.logaddexp(math.log1p(-rate) + log_ma, math.log(rate) + lme)",
           "torch.logaddexp(math.log(rate) + log_ma, math.log1p(-rate) + lme)", "MINE average rate r ↔ 1-r"),
    Mutant("hinge-d-fake-sign", L, '"fake": F.relu(1 + d_fake).mean()', '"fake": F.relu(1 - d_fake).mean()',
           "hinge fake term with the real sign"),
    Mutant("hinge-g-sign", L, 'return {"adv": -d_fake.mean()}', 'return {"adv": d_fake.mean()}',
           "hinge generator sign flipped"),
    Mutant("bce-d-targets-swapped", L, 'return {"real": bce(l_real, 1), "fake": bce(l_fake, 0)}',
           'return {"real": bce(l_real, 0), "fake": bce(l_fake, 1)}', "projection-bce real/fake targets swapped"),
    Mutant("cagan-d-fake-target", L, '"fake": torch.sum(y_fake * d_fake**2, dim=1).mean()',
           '"fake": torch.sum(y_fake * (d_fake - 1) ** 2, dim=1).mean()', "CA-GAN fakes pushed to 1"),
    Mutant("cagan-d-inactive-outputs", L, '"real": torch.sum(y_real * (d_real - 1) ** 2, dim=1).mean()',
           '"real": torch.sum((d_real - 1) ** 2, dim=1).mean()', "CA-GAN trains every class output, not the active one"),
    Mutant("cagan-g-target", L, 'return {"adv": torch.sum(y_fake * (d_fake - 1) ** 2, dim=1).mean()}',
           'return {"adv": torch.sum(y_fake * d_fake**2, dim=1).mean()}', "CA-GAN generator pushed to 0"),
    Mutant("k-plus-one-fake-class-off-by-one", L, "logits_fake.shape[1] - 1, dtype=torch.long",
           "logits_fake.shape[1] - 2, dtype=torch.long", 'fakes labelled class K-1 instead of "generated"'),
    Mutant("dynamic-labels-off-by-one", L, "return logits_fake.detach()[:, :-1].argmax(dim=1)",
           "return logits_fake.detach()[:, 1:].argmax(dim=1)", "dynamic labels shifted by one class"),
    Mutant("dynamic-labels-include-generated", L, "return logits_fake.detach()[:, :-1].argmax(dim=1)",
           "return logits_fake.detach().argmax(dim=1)", 'dynamic labels may pick "generated"'),
    Mutant("labelgan-g-classes-shifted", L, "torch.logsumexp(logits_fake[:, :-1], 1)",
           "torch.logsumexp(logits_fake[:, 1:], 1)", 'LabelGAN sums the "generated" logit as a class'),
    # ---- the methods' wiring (methods/) ----------------------------------------------------------------------
    Mutant("rumi-pos-neg-swapped", M + "rumi.py", "d_pos, d_neg, d_fake = out.split",
           "d_neg, d_pos, d_fake = out.split", "Rumi (joint): positive and negative rows swapped"),
    Mutant("rumi-split-pos-neg-swapped", M + "rumi.py", 'd_real if key == "pos" else None,\n                d_real if key == "neg" else None,',
           'd_real if key == "neg" else None,\n                d_real if key == "pos" else None,',
           "Rumi (split): positive and negative rows swapped"),
    Mutant("rumi-split-half-fake-dropped", M + "rumi.py", "fake_weight=0.5,", "fake_weight=1.0,",
           "split updates each take the whole fake term"),
    Mutant("rumi-targets-swapped", M + "rumi.py", "dict(b_pos=self.b_pos, b_neg=self.b_neg,",
           "dict(b_pos=self.b_neg, b_neg=self.b_pos,", "Rumi method passes b+ and b- swapped"),
    Mutant("rumi-g-target-ignored", M + "rumi.py", 'losses.rumi_lsgan_g(nets.d(batch.x_fake)["adv"], c=self.c)',
           'losses.rumi_lsgan_g(nets.d(batch.x_fake)["adv"])', "Rumi generator ignores its c"),
    Mutant("rumi-sgan-pos-neg-swapped", M + "rumi_sgan.py", "l_pos, l_neg, l_fake = out.split",
           "l_neg, l_pos, l_fake = out.split", "Rumi-SGAN positive and negative rows swapped"),
    Mutant("rumi-sgan-alphas-swapped", M + "rumi_sgan.py", "alpha_pos=alpha_pos, alpha_neg=alpha_neg",
           "alpha_pos=alpha_neg, alpha_neg=alpha_pos", "α+ and α- swapped"),
    Mutant("lsgan-method-targets-swapped", M + "lsgan.py", "a=self.a, b=self.b", "a=self.b, b=self.a",
           "LSGAN method passes a and b swapped"),
    Mutant("lsgan-real-fake-split-swapped", M + "lsgan.py", "d_real, d_fake = out.split", "d_fake, d_real = out.split",
           "LSGAN real and fake outputs swapped"),
    Mutant("acgan-real-fake-split-swapped", M + "acgan.py", "return {k: v[:n] for k, v in out.items()}, {k: v[n:] for k, v in out.items()}",
           "return {k: v[n:] for k, v in out.items()}, {k: v[:n] for k, v in out.items()}",
           "AC-GAN real and fake outputs swapped"),
    Mutant("acgan-labels-swapped", M + "acgan.py", 'real["cls"], batch.y_real, c_fake, batch.y_fake)',
           'real["cls"], batch.y_fake, c_fake, batch.y_real)', "AC-GAN classifier gets the other half's labels"),
    Mutant("acgan-lambda-ignored", M + "acgan.py", "lambda_cls=self.lambda_cls)", "lambda_cls=1.0)",
           "λ_cls not passed"),
    Mutant("tacgan-lambda-ignored", M + "tacgan.py", "lambda_tac=self.lambda_tac)", "lambda_tac=1.0)",
           "λ_tac not passed"),
    Mutant("uacgan-correction-dropped", M + "uacgan.py", "losses.mine_t(t_joint, t_marg, log_ma)",
           "losses.mine_t(t_joint, t_marg)", "T's update without MINE's bias correction"),
    Mutant("uacgan-generator-corrected", M + "uacgan.py", "losses.mine_g(t_joint, t_marg, lambda_mi=self.lambda_mi)",
           'losses.mine_g(t_joint, t_marg, lambda_mi=self.lambda_mi, log_ma=nets.extra["mine"].log_ma)',
           "the generator's MI gradient uses the average too"),
    Mutant("uacgan-rate-inverted", M + "uacgan.py", "MINEStatistics(net, self.ma_rate)",
           "MINEStatistics(net, 1 - self.ma_rate)", "moving-average rate 1 - r"),
    Mutant("uacgan-lambda-ignored", M + "uacgan.py", "lambda_mi=self.lambda_mi)", "lambda_mi=0.1)",
           "λ_mi not passed"),
    Mutant("mine-average-never-accumulates", "minority_gen/nets/mine.py",
           "update_log_moving_average(self.log_ma, t_marginal", "update_log_moving_average(None, t_marginal",
           "each step's average restarts from the batch (no moving average)"),
    Mutant("mine-marginal-not-shuffled", "minority_gen/nets/mine.py", "torch.cat([y, marginal_labels(y, pac)])",
           "torch.cat([y, y])", "the marginal term uses the joint labels"),
    Mutant("mine-marginal-rolled-by-row", "minority_gen/nets/mine.py", "return y.roll(int(pac))", "return y.roll(1)",
           "the marginal labels come from the same pack"),
    Mutant("uacgan-marginal-ignores-pac", M + "uacgan.py", "T.joint_and_marginal(batch.x_fake, batch.y_fake, nets.pac)",
           "T.joint_and_marginal(batch.x_fake, batch.y_fake)", "the generator's MI penalty ignores packing"),
    Mutant("boundary-classifier-not-frozen", "minority_gen/training.py",
           "            for p in (*d_params, *c_params):\n                p.requires_grad_(False)",
           "            for p in d_params:\n                p.requires_grad_(False)",
           "the boundary penalty trains the classifier too"),
    Mutant("boundary-crossers-not-pushed-back", "minority_gen/boundary.py", "(F.relu(m - q) + F.relu(-m)).mean()",
           "F.relu(m - q).mean()", "rows that crossed the border feel nothing"),
    Mutant("projection-labels-swapped", M + "projection.py", "torch.cat([batch.y_real, batch.y_fake]))",
           "torch.cat([batch.y_fake, batch.y_real]))", "projection D scores real rows with the fakes' labels"),
    Mutant("projection-g-label-off-by-one", M + "projection.py", "nets.d(batch.x_fake, batch.y_fake)",
           "nets.d(batch.x_fake, (batch.y_fake + 1) % nets.n_classes)", "generator judged as the next class"),
    Mutant("cagan-labels-swapped", M + "cagan.py", "one_hot(torch.cat([batch.y_real, batch.y_fake]), nets.n_classes)",
           "one_hot(torch.cat([batch.y_fake, batch.y_real]), nets.n_classes)", "CA-GAN activates the other half's classes"),
    Mutant("cagan-g-label-off-by-one", M + "cagan.py", "one_hot(batch.y_fake, nets.n_classes)",
           "one_hot((batch.y_fake + 1) % nets.n_classes, nets.n_classes)", "CA-GAN generator trained on the next class"),
    Mutant("amgan-real-fake-split-swapped", M + "amgan.py", "losses.k_plus_one_d(out[:n], batch.y_real, out[n:])",
           "losses.k_plus_one_d(out[n:], batch.y_real, out[:n])", "AM-GAN real and fake logits swapped"),
    Mutant("amgan-g-label-off-by-one", M + "amgan.py", 'else batch.y_fake', "else (batch.y_fake + 1) % nets.n_classes",
           "AM-GAN generator target is the next class"),
    Mutant("select-class-rows-reject-wrong", M + "amgan.py", "accept = (logits.argmax(1) == ys)",
           "accept = (logits.argmax(1) != ys)", "rejection sampling keeps rows of other classes"),
    # ---- the training loop (training.py) ----------------------------------------------------------------------
    Mutant("extra-networks-not-optimised", T, "d_side = [nets.D, *nets.extra.values()]", "d_side = [nets.D]",
           "extra networks (MINE's T) left out of the optimisers"),
    Mutant("discriminator-not-optimised", T, "for m in d_side]", "for m in d_side[1:]]",
           "D left out of the optimisers"),
    Mutant("discriminator-never-steps", T, "                    for opt in opt_d:\n                        opt.step()\n",
           "", "the discriminator-side optimisers never step"),
    Mutant("generator-never-steps", T, "            opt_g.step()\n", "", "the generator optimiser never steps"),
    Mutant("discriminator-zero-grad-missing", T, "                    for opt in opt_d:\n                        opt.zero_grad(set_to_none=True)\n",
           "", "discriminator gradients accumulate across steps"),
    Mutant("generator-zero-grad-missing", T, "            opt_g.zero_grad(set_to_none=True)\n", "",
           "generator gradients accumulate across steps"),
    Mutant("n-critic-ignored", T, "for _ in range(config.n_critic):", "for _ in range(1):",
           "one D step per G step whatever n_critic"),
    Mutant("n-critic-off-by-one", T, "for _ in range(config.n_critic):", "for _ in range(config.n_critic + 1):",
           "n_critic + 1 D steps"),
    Mutant("only-last-d-update-applied", T, "                    loss = total(terms)\n",
           "                    loss = total(terms) * 0 if len(d_terms) else total(terms)\n",
           "the second update of a split schedule has no effect"),
    Mutant("d-loss-first-term-only", T, "                    loss = total(terms)\n",
           "                    loss = next(iter(terms.values()))\n", "the discriminator trains on its first term only"),
    Mutant("ema-inverted", T, "pe.lerp_(p, 1.0 - config.ema)", "pe.lerp_(p, config.ema)", "EMA decay d ↔ 1-d"),
    Mutant("ema-never-updated", T, "pe.lerp_(p, 1.0 - config.ema)", "pe.lerp_(p, 0.0)",
           "the EMA generator keeps the initial weights"),
    Mutant("ema-buffers-not-copied", T, "                    for be, b in zip(ema_g.buffers(), nets.G.buffers()):\n                        be.copy_(b)\n",
           "", "the EMA generator keeps its initial batch-norm statistics"),
    Mutant("discriminator-not-frozen", T, "            for p in (*d_params, *c_params):\n                p.requires_grad_(False)\n",
           "            for p in c_params:\n                p.requires_grad_(False)\n",
           "the generator step also computes D-side gradients"),
    Mutant("fakes-not-detached", T, "                with torch.no_grad(), forward():\n                    batch.x_fake = method.generate",
           "                with forward():\n                    batch.x_fake = method.generate",
           "D steps backpropagate into the generator"),
    Mutant("generate-rows-class-off-by-one", "minority_gen/generation.py", "torch.full((m,), class_index, dtype=torch.long",
           "torch.full((m,), (class_index + 1) % nets.n_classes, dtype=torch.long", "rows generated for the next class"),
    Mutant("sampler-balanced-ignored", B, "if self.pac == 1 and not self.balanced:", "if self.pac == 1:",
           "label_sampling='balanced' draws empirical labels"),
    Mutant("sampler-rows-of-next-class", B, "idx = self.starts[y] + torch.minimum",
           "idx = self.starts[(y + 1) % self.n_classes] + torch.minimum", "real rows drawn from the next class"),
    Mutant("sampler-not-sorted", B, "order = torch.argsort(y, stable=True)", "order = torch.arange(len(y))",
           "class blocks assumed sorted: rows and labels mismatch"),
    Mutant("sampler-empirical-labels-shifted", B, "return self.y[idx], idx", "return self.y[idx - 1], idx",
           "empirical labels of the neighbouring row"),
    Mutant("sampler-fake-labels-are-real-labels", B, "        y_real, idx = self._labels_and_rows(gen)\n",
           "        y_real, idx = y_fake, self._labels_and_rows(gen)[1]\n", "real rows' labels are the fakes' labels"),
    Mutant("pos-neg-sampler-swapped", B, "batch = Batch(z=z, x_pos=self.x_pos[idx])",
           "batch = Batch(z=z, x_pos=self.x_neg[idx] if self.x_neg is not None else self.x_pos[idx])",
           "positive batch drawn from the negatives"),
    # ---- equivalent mutants: kept to show where the tests cannot (and need not) see a change -----------------
    Mutant("packed-labels-second-row", "minority_gen/nets/packing.py", "y[:: self.pac]", "y[1 :: self.pac]",
           "a pack's label read from its second row, not its first",
           note="equivalent: ConditionalSampler draws one class per pack (tested), so every row of a pack has "
                "the same label and the first and second rows' labels never differ."),
    Mutant("generator-label-encoding-permuted", "minority_gen/nets/heads.py",
           "torch.cat([z, nn.functional.one_hot(y, n_classes).to(z.dtype)], dim=1)",
           "torch.cat([z, nn.functional.one_hot((y + 1) % n_classes, n_classes).to(z.dtype)], dim=1)",
           "the generator's one-hot input is shifted by one class",
           note="equivalent: training and sampling both go through the same encoding, so the generator "
                "learns class c from the column of c + 1 and still produces class c for label c; only the "
                "random initialisation sees a different input."),
    # ---- the plan and the estimator --------------------------------------------------------------------------
    Mutant("plan-positive-set-wrong", P, "x[y == i], x[y != i]", "x[y != i], x[y == i]",
           "each GAN's positives are the other rows"),
    Mutant("plan-balanced-inverted", P, "balanced=plan.settings.balanced_labels",
           "balanced=not plan.settings.balanced_labels",
           "label_sampling inverted"),
    Mutant("plan-ema-not-kept", P, "    if ema_g is not None:\n        nets.G = ema_g\n", "",
           "the EMA generator is computed and thrown away"),
    Mutant("estimator-sample-index-off-by-one", "minority_gen/model.py",
           "index = int(np.searchsorted(self.classes, cls)) if self.method.conditional else None",
           "index = (int(np.searchsorted(self.classes, cls)) + 1) % len(self.classes) if self.method.conditional "
           "else None", "sample(y=c) generates class c+1"),
    Mutant("estimator-grow-index-off-by-one", "minority_gen/model.py",
           "index = {int(np.searchsorted(classes, c)): c for c in grow}",
           "index = {(int(np.searchsorted(classes, c)) + 1) % len(classes): c for c in grow}",
           "each class gets the next class's GAN"),
]


def make_copy(dest: Path) -> Path:
    """The package, the tests and what they load, copied to ``dest``."""
    for rel in COPIED:
        src, dst = ROOT / rel, dest / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
        else:
            shutil.copy2(src, dst)
    return dest


def imported_from(root: Path) -> Path:
    """Where a Python started in ``root`` (as the test runs are) imports ``minority_gen`` from."""
    find = "import importlib.util; print(importlib.util.find_spec('minority_gen').origin)"  # finds, runs nothing
    out = subprocess.run([sys.executable, "-c", find], cwd=root, capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()).resolve().parent


def run_mutant(mutant: Mutant | None, tests=TESTS, pytest_args=(), timeout: float = 900) -> dict:
    """Copy, mutate (``None``: the unmutated baseline) and run pytest in the copy, which is removed afterwards:
    whether every test passed, the first failing test (or why none ran to the end) and the seconds."""
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-rfE", "-p", "no:cacheprovider", "-o", "addopts=",
           "--strict-markers", *pytest_args, *tests]
    with tempfile.TemporaryDirectory(prefix="minority_gen_mutant_") as tmp:
        root = make_copy(Path(tmp))
        if mutant is not None:
            mutant.apply(root)
        if (where := imported_from(root)) != (root / "minority_gen").resolve():
            raise RuntimeError(f"the test run would import minority_gen from {where}, not the copy in {root}")
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout,
                                  env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
        except subprocess.TimeoutExpired:
            by = f"timeout after {timeout:.0f} s"
        else:
            found = re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M)
            last = (proc.stdout + proc.stderr).strip().splitlines()[-1] if proc.returncode else ""
            by = "" if proc.returncode == 0 else found[0] if found else f"pytest exit {proc.returncode}: {last}"
        seconds = round(time.perf_counter() - start, 1)
    return {"mutant": None if mutant is None else mutant.name, "passed": not by, "by": by, "seconds": seconds}


def report(rows: list[dict], mutants: dict, argv: list[str], elapsed: float, jobs: int, tests) -> str:
    killed = sum(not r["passed"] for r in rows)
    lines = [
        "# Mutation testing: the tests against deliberately broken copies of the package", "",
        *run_stamp(command_line("benchmarks/mutation.py", argv)),
        f"* {elapsed / 60:.1f} min in all ({jobs} mutant(s) at a time)", "",
        "Each mutant is one hand-written substitution in a temporary copy of `minority_gen/`; pytest then runs, "
        "in that copy, stopping at the first failure:", "",
        *(f"* `{t}`" for t in tests), "",
        f"**{killed} of {len(rows)} mutants killed ({100 * killed / len(rows) if rows else 0.0:.1f} %).**", "",
        *table_lines(["mutant", "file", "what it breaks", "killed", "by (first failing test)", "s"],
                     [[m.name, f"`{m.path.removeprefix('minority_gen/')}`", m.breaks, "no" if r["passed"] else "yes",
                       f"`{r['by']}`" if r["by"] else "-", r["seconds"]] for r in rows for m in [mutants[r["mutant"]]]]),
        "", "## Survivors", "",
    ]
    lines += [f"* `{r['mutant']}` ({mutants[r['mutant']].breaks}): {mutants[r['mutant']].note or 'no test catches it.'}"
              for r in rows if r["passed"]] or ["None."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=None, help="comma-separated mutant names")
    ap.add_argument("--quick", action="store_true", help=f"mutants {', '.join(QUICK)} against the fast loss tests")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per mutant (a timeout counts as killed)")
    ap.add_argument("--tests", default=None, help="comma-separated test files (default: the list in TESTS)")
    ap.add_argument("--jobs", type=int, default=1, help="mutants tested at the same time")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "mutation"))
    args = ap.parse_args(argv)
    mutants = {m.name: m for m in MUTANTS}
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:40s} {m.path:34s} {m.breaks}")
        return 0
    names = QUICK if args.quick else (args.only.split(",") if args.only else list(mutants))
    if unknown := sorted(set(names) - set(mutants)):
        raise SystemExit(f"unknown mutants {unknown}; see --list")
    tests = tuple(args.tests.split(",")) if args.tests else TESTS[:1] if args.quick else TESTS
    for name in names:  # every mutant must apply to today's source before anything runs
        mutants[name].check()
    start = time.perf_counter()
    base = run_mutant(None, tests, timeout=args.timeout)
    print(f"{'(unmutated)':40s} {'passes' if base['passed'] else 'FAILS: ' + base['by']} ({base['seconds']} s)",
          flush=True)
    if not base["passed"]:
        print("the unmutated copy must pass its tests first", file=sys.stderr)
        return 1

    def one(name: str) -> dict:
        row = run_mutant(mutants[name], tests, timeout=args.timeout)
        print(f"{name:40s} {'SURVIVED' if row['passed'] else 'killed by ' + row['by']} ({row['seconds']} s)",
              flush=True)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows = list(pool.map(one, names))
    killed = sum(not r["passed"] for r in rows)
    print(f"{killed} of {len(rows)} killed ({100 * killed / len(rows):.1f} %)")
    if not args.quick:
        text = report(rows, mutants, argv, time.perf_counter() - start, args.jobs, tests)
        print("wrote", write_results(Path(args.out) / "results.md", text, rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
