"""The ``GANOversampler`` options of ``resample`` and ``images``, generated from the estimator's parameters.

A parameter added to the estimator reaches the command line with no edit of
the command line: as ``--<name>`` typed from its constraints, and through
``--param NAME=JSON``; the options written by hand keep their names,
values and defaults.
"""

from __future__ import annotations

import argparse
from numbers import Integral, Real

import pytest
from sklearn.utils._param_validation import Interval, StrOptions

from minority_gen import GANOversampler
from minority_gen.cli import build_parser, main
from minority_gen.commands._constraints import option_for, parameter_docs
from minority_gen.commands._gan_options import CLI_OWNED, HAND, add_gan_arguments, gan_kwargs

from .cli_helpers import error_line, write_table_csv

FAST = ["--n-iter", "2", "--batch-size", "8", "--quiet", "--device", "cpu"]

#: What the hand-written options gave before the options were generated (commands/_common.py, fe6b468).
TODAY_DEFAULTS = dict(method="rumi", method_params=None, n_iter="auto", batch_size=None, recipe="tuned", pac="auto",
                      selection="last", anchor="auto", filter="auto", sampling_strategy="auto", device="auto",
                      amp="auto", random_state=0, verbose=True)


@pytest.fixture
def csv(tmp_path):
    return write_table_csv(tmp_path)


def _parse(command: str, *argv: str) -> argparse.Namespace:
    required = {"resample": ["x.csv", "--target", "y", "--out", "o.csv"], "images": ["in", "--out", "out"]}
    return build_parser().parse_args([command, *required[command], *argv])


@pytest.fixture
def fitted_params(monkeypatch):
    """The parameters of every GANOversampler that ``fit_resample`` runs on."""
    seen = []
    original = GANOversampler.fit_resample

    def spy(self, X, y):
        seen.append(self.get_params())
        return original(self, X, y)

    monkeypatch.setattr(GANOversampler, "fit_resample", spy)
    return seen




# ---------------------------------------------------------------------------
# Every parameter is reachable; the hand-written options are as they were
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["resample", "images"])
def test_every_estimator_parameter_has_an_option_or_is_owned_by_the_command_line(command):
    options = _parse(command)._gan_options
    by_param = {o.param: o.flag for o in options}
    assert len(by_param) == len(options)  # one option per parameter
    expressible = {n for n, c in GANOversampler._parameter_constraints.items() if option_for(c) is not None}
    assert set(GANOversampler._parameter_constraints) - set(CLI_OWNED) - expressible - set(by_param) == set()
    assert set(by_param) | set(CLI_OWNED) >= expressible
    for param, flag in HAND.items():
        assert by_param[param] == flag
    if command == "images":
        assert by_param["hidden_dims"] == "--width" and by_param["diffaugment"] == "--diffaugment"


def test_hand_written_options_keep_their_defaults():
    parser = argparse.ArgumentParser()
    add_gan_arguments(parser)
    assert gan_kwargs(parser.parse_args([])) == TODAY_DEFAULTS
    args = parser.parse_args(["--anchor", "none", "--amp", "off", "--pac", "2", "--sampling-strategy", "0.5",
                              "--quiet", "--method-params", '{"b_pos": 2}', "--random-state", "3", "--filter", "none"])
    kwargs = gan_kwargs(args)
    assert (kwargs["anchor"], kwargs["amp"], kwargs["pac"], kwargs["sampling_strategy"]) == (None, False, 2, 0.5)
    assert kwargs["filter"] is None
    assert gan_kwargs(parser.parse_args(["--filter", "copies,border"]))["filter"] == "copies,border"
    assert (kwargs["verbose"], kwargs["method_params"], kwargs["random_state"]) == (False, {"b_pos": 2}, 3)
    with pytest.raises(SystemExit):
        parser.parse_args(["--recipe", "fast"])  # choices as before


# ---------------------------------------------------------------------------
# Generated options
# ---------------------------------------------------------------------------
def test_parameters_that_were_not_hand_listed_are_typed_options():
    kwargs = gan_kwargs(_parse("resample", "--lr-g", "2e-4", "--latent-dim", "6", "--spectral-norm",
                               "--hidden-dims", "8,8", "--betas", "0.5,0.9", "--ema", "none", "--continuous",
                               "modes", "--categorical-features", "a,b", "--n-jobs", "2", "--eval-every", "5"))
    assert kwargs["lr_g"] == 2e-4 and isinstance(kwargs["lr_g"], float)
    assert kwargs["latent_dim"] == 6 and isinstance(kwargs["latent_dim"], int)
    assert kwargs["spectral_norm"] is True and kwargs["ema"] is None
    assert kwargs["hidden_dims"] == (8, 8) and kwargs["betas"] == (0.5, 0.9)
    assert kwargs["continuous"] == "modes" and kwargs["categorical_features"] == ["a", "b"]
    assert (kwargs["n_jobs"], kwargs["eval_every"]) == (2, 5)
    assert gan_kwargs(_parse("resample", "--no-spectral-norm", "--ema", "0.9"))["spectral_norm"] is False
    assert gan_kwargs(_parse("resample", "--ema", "auto"))["ema"] == "auto"
    # not given: left to the estimator's default
    assert "lr_g" not in gan_kwargs(_parse("resample")) and "spectral_norm" not in gan_kwargs(_parse("resample"))


def test_generated_options_reach_the_fitted_estimator(csv, tmp_path, fitted_params):
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"), *FAST,
                 "--lr-d", "5e-4", "--latent-dim", "3", "--spectral-norm", "--hidden-dims", "8,8",
                 "--continuous", "modes"]) == 0
    (params,) = fitted_params
    assert (params["lr_d"], params["latent_dim"], params["spectral_norm"]) == (5e-4, 3, True)
    assert (params["hidden_dims"], params["continuous"]) == ((8, 8), "modes")


@pytest.mark.parametrize("argv, message", [
    (["--lr-g", "fast"], "argument --lr-g: must be FLOAT|none; got 'fast'"),
    (["--continuous", "wide"], "argument --continuous: invalid choice: 'wide'"),
    (["--latent-dim", "2.5"], "argument --latent-dim: must be INT|none; got '2.5'"),
])
def test_a_generated_option_refuses_text_of_the_wrong_kind(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        _parse("resample", *argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_generated_option_out_of_range_names_the_option(csv, tmp_path, capsys):
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"), *FAST,
                 "--lr-g", "-1"]) == 2
    assert "--lr-g: The 'lr_g' parameter of GANOversampler must be a float" in error_line(capsys, "resample")
    assert not (tmp_path / "o.csv").exists()


def test_help_lists_generated_options_once(capsys):
    with pytest.raises(SystemExit):
        main(["resample", "--help"])
    text = capsys.readouterr().out
    assert "--lr-g FLOAT|none" in text and "--param NAME=JSON" in text
    lr_g_help = parameter_docs(GANOversampler).get("lr_g", "the GANOversampler parameter lr_g")
    assert lr_g_help in " ".join(text.split())  # the docstring's first sentence, or a plain fallback
    assert "--spectral-norm, --no-spectral-norm" in text and "--continuous {modes,standard}" in text
    with pytest.raises(SystemExit):
        main(["images", "--help"])
    text = capsys.readouterr().out
    assert text.count("\n  --diffaugment") == 1 and "--hidden-dims" not in text and "\n  --width" in text


# ---------------------------------------------------------------------------
# A parameter added to the estimator needs no edit of the command line
# ---------------------------------------------------------------------------
NEW_CONSTRAINTS = {
    "fake_knob": [Interval(Real, 0, 1, closed="both"), StrOptions({"auto"}), None],
    "fake_count": [Interval(Integral, 1, None, closed="left")],
    "fake_switch": ["boolean"],
    "fake_mode": [StrOptions({"fast", "slow"})],
    "fake_object": [object],  # no command-line text: --param only
}


@pytest.mark.parametrize("command", ["resample", "images"])
def test_a_new_constraint_becomes_an_option_without_a_cli_edit(monkeypatch, command):
    monkeypatch.setattr(GANOversampler, "_parameter_constraints",
                        {**GANOversampler._parameter_constraints, **NEW_CONSTRAINTS})
    args = _parse(command, "--fake-knob", "0.25", "--fake-count", "3", "--fake-switch", "--fake-mode", "slow",
                  "--param", 'fake_object={"any": "json"}')
    kwargs = gan_kwargs(args)
    assert (kwargs["fake_knob"], kwargs["fake_count"], kwargs["fake_switch"], kwargs["fake_mode"]) == (
        0.25, 3, True, "slow")
    assert kwargs["fake_object"] == {"any": "json"}
    assert gan_kwargs(_parse(command, "--fake-knob", "auto"))["fake_knob"] == "auto"
    assert "fake_knob" not in gan_kwargs(_parse(command))
    with pytest.raises(SystemExit):
        _parse(command, "--fake-object", "x")


def test_a_subclass_with_a_new_parameter_gets_its_option():
    class Tuned(GANOversampler):
        """A sampler with one more knob.

        Parameters
        ----------
        warmup : int, default=10
            Generator updates before the discriminator starts. More text.
        """

        _parameter_constraints = {**GANOversampler._parameter_constraints,
                                  "warmup": [Interval(Integral, 0, None, closed="left")]}

    parser = argparse.ArgumentParser()
    add_gan_arguments(parser, estimator=Tuned)
    assert gan_kwargs(parser.parse_args(["--warmup", "4"]))["warmup"] == 4
    help_text = parser.format_help()
    assert "--warmup INT" in help_text and "Generator updates before the discriminator starts" in help_text
    assert "More text" not in help_text


def test_help_reads_without_the_docstrings_context(capsys):
    """A cross-reference is shown as Sphinx shows it; no "as described above" with nothing above."""
    with pytest.raises(SystemExit):
        main(["resample", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(after GAMO, minority_gen.boundary)" in text and "GAMO, boundary)" not in text
    assert "described above" not in text
    assert "\"auto\" takes the last axis when it has 1, 3 or 4 entries" in text
    entries = [" --image-layout {", " --diffaugment TEXT", " --padding {", " --label-sampling {"]
    for start, end in zip(entries, entries[1:]):  # they apply to a CSV of flattened images
        assert "only for a CSV of flattened images, with --image-shape" in text.split(start)[1].split(end)[0]
    assert "for a CSV whose rows are flattened images" in text


def test_help_comes_from_a_substituted_parameters_section():
    class Documented(GANOversampler):
        __doc__ = """A sampler.

        Parameters
        ----------
            Parameters
            ----------
            lr_g, lr_d : float, default=None
                Adam learning rates, e.g. 1e-4; ``None`` takes the recipe's value. More.
            spectral_norm : bool
                Spectral normalisation on :class:`~torch.nn.Linear` layers.

        Attributes
        ----------
        classes_ : ndarray
            Not a parameter.
        """

    docs = parameter_docs(Documented)
    assert docs == {"lr_g": "Adam learning rates, e.g. 1e-4; None takes the recipe's value",
                    "lr_d": "Adam learning rates, e.g. 1e-4; None takes the recipe's value",
                    "spectral_norm": "Spectral normalisation on Linear layers"}


def test_a_parameter_whose_option_name_a_command_uses_is_reached_through_param(monkeypatch):
    monkeypatch.setattr(GANOversampler, "_parameter_constraints",
                        {**GANOversampler._parameter_constraints, "resize": [Interval(Integral, 1, None,
                                                                                      closed="left")]})
    args = _parse("images", "--resize", "28", "--param", "resize=3")
    assert args.resize == "28" and gan_kwargs(args)["resize"] == 3  # images' own --resize is untouched


# ---------------------------------------------------------------------------
# --param NAME=JSON
# ---------------------------------------------------------------------------
def test_param_round_trips_to_the_fitted_estimator(csv, tmp_path, fitted_params):
    model = tmp_path / "m.mgz"
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"), *FAST,
                 "--save-model", str(model),
                 "--param", "hidden_dims=[8, 8]", "--param", "betas=[0.5, 0.9]", "--param", "lr_g=0.0005",
                 "--param", 'continuous="modes"', "--param", "random_state=7", "--param", "spectral_norm=true",
                 "--param", 'method_params={"b_pos": 2}', "--param", "ema=null"]) == 0
    (params,) = fitted_params
    expected = dict(hidden_dims=[8, 8], betas=[0.5, 0.9], lr_g=0.0005, continuous="modes", random_state=7,
                    spectral_norm=True, method_params={"b_pos": 2}, ema=None)
    assert {k: params[k] for k in expected} == expected
    saved = GANOversampler.load(model).get_params()  # and they are what the saved model holds
    assert {k: list(v) if isinstance(v, tuple) else v for k, v in saved.items() if k in expected} == expected


def test_param_accepts_dashes_and_sets_parameters_of_hand_written_options_left_out():
    kwargs = gan_kwargs(_parse("resample", "--param", "n-iter=5", "--param", 'anchor="smote"'))
    assert kwargs["n_iter"] == 5 and kwargs["anchor"] == "smote"


@pytest.mark.parametrize("argv, message", [
    (["--param", "lr_gg=0.1"], "--param lr_gg: GANOversampler has no parameter 'lr_gg'. Did you mean 'lr_g'"),
    (["--param", "spectral=true"], "Did you mean 'spectral_norm'?"),
    (["--param", "zzz=1"], "GANOversampler has no parameter 'zzz'. Parameters: sampling_strategy"),
    (["--param", "lr_g=fast"], "--param lr_g: 'fast' is not valid JSON"),
    (["--param", "continuous=modes"], """(its default: --param 'continuous="standard"')"""),
    (["--param", "lr_g"], "--param 'lr_g': expected NAME=JSON"),
    (["--param", "lr_g=0.1", "--param", "lr_g=0.2"], "--param lr_g is given twice"),
    (["--lr-g", "0.1", "--param", "lr_g=0.2"], "--param lr_g and --lr-g both set lr_g; give it once"),
    (["--n-iter", "3", "--param", "n_iter=4"], "--param n_iter and --n-iter both set n_iter"),
    (["--quiet", "--param", "verbose=0"], "--param verbose: the command line sets verbose itself; use --quiet"),
    (["--param", "lr_g=-1"], "--param lr_g: The 'lr_g' parameter of GANOversampler must be a float"),
])
def test_param_errors_are_one_line_naming_the_parameter(csv, tmp_path, capsys, argv, message, fitted_params):
    argv = [a for a in argv if a != "--quiet"]
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"), *FAST, *argv]) == 2
    assert message in error_line(capsys, "resample")
    assert not fitted_params and not (tmp_path / "o.csv").exists()


def test_images_param_and_its_own_options(tmp_path):
    kwargs = gan_kwargs(_parse("images", "--width", "4", "--diffaugment", "none"))
    assert kwargs["hidden_dims"] == (4,) and kwargs["diffaugment"] is None
    assert "hidden_dims" not in gan_kwargs(_parse("images"))
    assert gan_kwargs(_parse("images", "--param", "hidden_dims=[6]"))["hidden_dims"] == [6]
    with pytest.raises(Exception, match="--param hidden_dims and --width both set hidden_dims"):
        gan_kwargs(_parse("images", "--width", "4", "--param", "hidden_dims=[6]"))


# ---------------------------------------------------------------------------
# --sampling-strategy against the data: a JSON object, and refusals in command-line terms
# ---------------------------------------------------------------------------
def _three_classes(tmp_path, sizes=(30, 10, 1)):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(sum(sizes), 3)), columns=["a", "b", "c"])
    df["label"] = np.repeat([7, 8, 9], sizes)
    df.to_csv(tmp_path / "three.csv", index=False)
    return tmp_path / "three.csv"


@pytest.mark.parametrize("option", [["--sampling-strategy", '{"rare": 20}'],
                                    ["--param", 'sampling_strategy={"rare": 20}']])
def test_sampling_strategy_takes_a_json_object_of_rows_per_class(csv, tmp_path, fitted_params, option):
    import pandas as pd

    out = tmp_path / "o.csv"
    assert main(["resample", str(csv), "--target", "label", "--out", str(out), *FAST, *option]) == 0
    assert fitted_params[0]["sampling_strategy"] == {"rare": 20}
    assert pd.read_csv(out)["label"].value_counts().to_dict() == {"common": 30, "rare": 20}


def test_a_json_objects_keys_are_matched_to_classes_written_as_numbers(tmp_path, fitted_params):
    """JSON keys are text: "8" is the class 8, passed to the estimator as the label itself."""
    csv = _three_classes(tmp_path, (30, 10, 4))
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"), *FAST,
                 "--sampling-strategy", '{"8": 15}']) == 0
    (params,) = fitted_params
    assert params["sampling_strategy"] == {8: 15} and type(next(iter(params["sampling_strategy"]))) is not str


@pytest.mark.parametrize("sizes, argv, message", [
    (None, ["--sampling-strategy", '{"rar": 20}'],
     "--sampling-strategy: {csv} has no class 'rar'; its classes: 'common' (30 rows), 'rare' (10 rows)."),
    (None, ["--sampling-strategy", '{"rare": 5}'], "--sampling-strategy: the entry 'rare' asks for 5 rows"),
    (None, ["--sampling-strategy", '{"rare": '], "--sampling-strategy is not valid JSON"),
    (None, ["--sampling-strategy", "0.01"],
     "--sampling-strategy: a ratio of 0.01 asks for 0.01 minority row(s) per majority row after resampling, but "
     "{csv} already has 0.333 ('rare': 10, 'common': 30) and oversampling only adds rows; give a ratio between "
     "0.333 and 1"),
    ((30, 10, 4), ["--sampling-strategy", "0.5"], "--sampling-strategy 0.5: a ratio works for two classes only"),
    ((30, 10, 1), [], "the class 9 of {csv} has 1 row; a GAN needs at least 2 rows of a class to learn it. Add rows "
                      "of that class, or grow only the other classes with --sampling-strategy '{{\"8\": 30}}'."),
    ((30, 1, 30), [], "the class 8 of {csv} has 1 row; a GAN needs at least 2 rows of a class to learn it. Add rows "
                      "of that class, or drop its row from the CSV."),
    ((30, 10, 1), ["--param", 'sampling_strategy="not majority"'],
     "grow only the other classes with --param 'sampling_strategy={{\"8\": 30}}'."),
])
def test_sampling_strategy_against_the_data_is_refused_in_cli_terms(csv, tmp_path, capsys, monkeypatch, sizes,
                                                                      argv, message):
    if sizes is not None:
        csv = _three_classes(tmp_path, sizes)
    monkeypatch.setattr(GANOversampler, "fit_resample", lambda *a: pytest.fail("training started"))
    assert main(["resample", str(csv), "--target", "label", "--out", str(tmp_path / "o.csv"), *FAST, *argv]) == 2
    line = error_line(capsys, "resample")
    assert message.format(csv=csv) in line and "sampling_strategy[" not in line and "dict naming" not in line
    assert not (tmp_path / "o.csv").exists()
