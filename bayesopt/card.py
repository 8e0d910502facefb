"""What identifies the algorithm: the resolved configuration, its fingerprint, the card.

    c            number of encoded columns of the space (a categorical of k
                 choices is k one-hot columns, a conditional dimension adds its
                 activity column, a Fidelity none)
    d            number of the GP's input columns, the d of the priors: c, plus the
                 budget level with a Fidelity and fidelity_model="budget-input"
                 (`bayesopt.state.model_columns`)
    config       `resolved_config(...)`: every setting that decides which points
                 are asked, as numbers: the priors resolved to their (loc, scale)
                 for this d, the noise floor, restarts, candidate counts, …
    fingerprint  first 16 hex digits of sha256 over the canonical JSON of config
                 (sorted keys, no whitespace, floats to 12 digits); the seed is
                 not part of it

Rule (checked by tests/test_card.py): a change of any default changes the
fingerprint of the default configuration, and must come with a new
`bayesopt.__version__`; `DEFAULTS_FINGERPRINTS` there records one per version.

`baseline_card(space=None)` states each default with its citation, for a
paper's method section; docs/baseline-card.md is `card_markdown(baseline_card())`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from acquisition.optimizer import SEARCH_SCALE_FLOOR, AcquisitionOptimizerOptions
from bayesopt import fitting, gp, model, noisy, optimizer, propose, sampling, transforms, warping
from bayesopt.options import OptimizerOptions
from bayesopt.priors import BlockPrior, HyperparameterPriors, LogNormalPrior
from bayesopt.space import Dimension, Space
from bayesopt.state import model_columns
from kernels.cholesky import JITTER_STEPS  # the ladder the card states


def resolved_config(
    space: Space, acquisition: str, n_initial: int, maximize: bool, ucb_beta: float | None,
    options: OptimizerOptions, cost_budget: float | None = None,
) -> dict[str, Any]:
    """Every setting of an optimizer on `space` that decides its asks, as numbers (JSON-able).
    `cost_budget` (logei_per_cost's cooling, `Optimizer`) is listed only when set (the
    fingerprint without it stays)."""
    c = space.n_columns
    return {
        "encoded_columns": c,
        "maximize": maximize,
        "initial_design": _initial_design(n_initial, options),
        "output_transform": _output_transform(options.model),
        "model": _model(options.model, model_columns(space, options.model), c),
        "acquisition": {**_acquisition(acquisition, ucb_beta, options),
                        **({} if cost_budget is None else {"cost_budget": cost_budget})},
        "acquisition_optimizer": _acquisition_optimizer(options),
        "pending": {"fantasy": options.model.fantasy, "fantasy_noise": model.FANTASY_NOISE,
                    "lipschitz_sample": propose.N_LIPSCHITZ_SAMPLE},
        "failures": {"max_width": propose.MAX_FAILURE_WIDTH},
        **_trust_region(options),
        **_interleave(options),
    }


def _acquisition_optimizer(options: OptimizerOptions) -> dict[str, Any]:
    """The search's settings; `polish_rise_tol`, `start_selection` and `incumbent_start`
    listed only when set (the defaults' fingerprint stays)."""
    settings = dataclasses.asdict(options.acquisition_optimizer)
    if settings["polish_rise_tol"] is None:
        del settings["polish_rise_tol"]
    if settings["start_selection"] == "best":
        del settings["start_selection"]
    if not settings["incumbent_start"]:
        del settings["incumbent_start"]
    return {**settings, "method": "L-BFGS-B", "local_scales": list(settings["local_scales"]),
            "n_incumbents": propose.N_INCUMBENTS}


def _interleave(options: OptimizerOptions) -> dict[str, Any]:
    """SMAC's random interleaving, listed only when set (the defaults' fingerprint stays)."""
    k = options.random_interleave
    return {} if k is None else {"random_interleave": {"every": k, "kind": "uniform"}}


def _initial_design(n_initial: int, options: OptimizerOptions) -> dict[str, Any]:
    """The design; the cost-effective one's settings listed only when set (the defaults'
    fingerprint stays)."""
    design: dict[str, Any] = {"kind": "scrambled-sobol", "n_initial": n_initial}
    if options.cost_design is None:
        return design
    return {**design, "kind": "cost-effective (CArBO)", **dataclasses.asdict(options.cost_design)}


def _trust_region(options: OptimizerOptions) -> dict[str, Any]:
    """The trust region of the acquisition search, listed only when set (the defaults'
    fingerprint stays)."""
    if options.trust_region is None:
        return {}
    return {"trust_region": {"kind": "turbo-1", **dataclasses.asdict(options.trust_region)}}


def fingerprint(config: dict[str, Any]) -> str:
    """First 16 hex digits of sha256 over canonical JSON (sorted keys, no whitespace,
    floats to 12 significant digits so a last-bit difference of libm's log between
    platforms does not change it)."""
    text = json.dumps(_rounded(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(item) for item in value]
    return float(f"{value:.12g}") if isinstance(value, float) else value


def _output_transform(options: model.ModelOptions) -> dict[str, Any]:
    lambda_bounds = list(transforms.LAMBDA_BOUNDS) if options.output_transform != "none" else None
    return {"kind": options.output_transform, "lambda_bounds": lambda_bounds,
            "then": "standardize (mean 0, std 1)"}


def _model(options: model.ModelOptions, d: int, c: int) -> dict[str, Any]:
    """The GP's settings; its priors for its d input columns, listed when not the c encoded
    ones (the budget level: the fingerprint of a space without a Fidelity stays)."""
    priors = HyperparameterPriors.default(d, options.lengthscale_prior, options.noise_prior,
                                          options.variance_prior)
    return {
        **({} if d == c else {"input_columns": d}),
        "kernel": options.kernel, "ard": True,
        "lengthscale_bounds": list(fitting.LENGTHSCALE_BOUNDS),
        "signal_variance_bounds": list(fitting.VARIANCE_BOUNDS),
        "noise_bounds_standardized": list(options.fit.noise_bounds),
        "noise_variance_objective_units": options.noise_variance,
        "posterior_variance_floor": gp.VARIANCE_FLOOR,
        "objective": "map" if options.priors else "maximum-likelihood",
        "priors": {
            "lengthscale": _prior(options.lengthscale_prior, priors.lengthscale),
            "signal_variance": _prior(options.variance_prior, priors.variance),
            "noise_variance": _prior(options.noise_prior, priors.noise),
        },
        "fit": {"method": "L-BFGS-B", "maxiter": options.fit.maxiter,
                "precondition": options.fit.precondition,
                "n_restarts": options.n_restarts, "restarts_until": options.restarts_until,
                "restart_every": options.restart_every,
                "max_fit_points": options.max_fit_points,
                # each refit's first start: listed only when not the last fit's θ (the default)
                **({} if options.fit_start == "last" else {"fit_start": options.fit_start}),
                # a conditional space's activity columns pinned: listed only when set
                **({} if options.fit.activity_lengthscale is None else
                   {"activity_lengthscale": options.fit.activity_lengthscale}),
                # L-BFGS-B's tolerance: listed only when set (scipy's default otherwise)
                **({} if options.fit.ftol is None else {"ftol": options.fit.ftol})},
        "refit": {"every_step_until": options.refit_every_step_until,
                  "growth": options.refit_growth},
        **_spearmint_options(options),
        **_input_options(options),
        # listed only when set, so the defaults' fingerprint stays
        **({"kernel_candidates": list(options.kernel_candidates)}
           if options.kernel_candidates else {}),
        **({"kernel_average": True} if options.kernel_average else {}),
        **_fidelity_kernel(options),
    }


def _fidelity_kernel(options: model.ModelOptions) -> dict[str, Any]:
    """The budget basis of `ModelOptions.fidelity_kernel`, listed only when set (so the
    defaults' fingerprint stays)."""
    basis = model.FIDELITY_KERNELS[options.fidelity_kernel]
    if basis is None:
        return {}
    entry: dict[str, Any] = {"kind": options.fidelity_kernel, "basis_power": basis.power}
    if basis.lengthscale:
        entry["budget_lengthscale"] = True
    if basis.bias_prior is not None:
        entry["bias_prior"] = _prior("small-bias", basis.bias_prior)
    return {"fidelity_kernel": entry}


def _spearmint_options(options: model.ModelOptions) -> dict[str, Any]:
    """The options of issue 17, listed only when set, so the defaults' fingerprint stays."""
    entries: dict[str, Any] = {}
    if options.hyperparameters == "mcmc":
        entries["hyperparameters"] = {
            "kind": "slice-sampling", "samples": options.mcmc_samples,
            "burn_in": options.mcmc_burn_in, "thin": options.mcmc_thin,
            "slice_width": sampling.SLICE_WIDTH}
    if options.input_warping:
        entries["input_warping"] = {
            "kind": "kumaraswamy", "eps": warping.EPS, "log_bounds": list(warping.WARP_BOUNDS),
            "prior": _prior("identity", warping.WARP_PRIOR)}
    return entries


# ModelOptions fields that change how the model sees integers, categoricals and a budget,
# each listed only when it differs from its default (so the defaults' fingerprint stays)
_INPUT_OPTIONS = ("integer_kernel", "categorical_kernel", "fidelity_model")


def _input_options(options: model.ModelOptions) -> dict[str, Any]:
    defaults = model.ModelOptions()
    return {name: getattr(options, name) for name in _INPUT_OPTIONS
            if getattr(options, name) != getattr(defaults, name)}


def _prior(name: str, prior: BlockPrior) -> dict[str, Any]:
    return {"name": name, **prior.describe()}


def _acquisition(kind: str, ucb_beta: float | None, options: OptimizerOptions) -> dict[str, Any]:
    acquisition = propose.ACQUISITION_KINDS[kind]
    if acquisition.portfolio:
        hedge = options.hedge
        return {"kind": kind, "eta": hedge.eta, "members": [
            _acquisition(member, ucb_beta, options) for member in hedge.members]}
    if acquisition.ensemble:  # MACE: a point of the members' Pareto front (bayesopt.mace)
        return {"kind": kind, "members": [
            _acquisition(member, ucb_beta, options) for member in acquisition.ensemble]}
    # ModelOptions.incumbent: read by the acquisition, or else by local penalization
    reads = acquisition.incumbent or options.model.fantasy == "penalize"
    entry = {"kind": kind, **({"incumbent": options.model.incumbent} if reads else {})}
    if acquisition.noisy:  # an incumbent per sample of f(X) (bayesopt.noisy)
        return {**entry, "samples": noisy.N_SAMPLES, "noise_free": noisy.NOISE_FREE}
    if acquisition.incumbent:
        return entry
    if ucb_beta is not None:
        return {**entry, "beta": ucb_beta}
    return {**entry, "beta": "gp-ucb schedule", "delta": options.ucb_delta,
            "scale": options.ucb_beta_scale}


# ------------------------------------------------------------------- the card
def baseline_card(
    space: Space | Mapping[str, Dimension] | Sequence[Dimension] | None = None,
) -> dict[str, Any]:
    """Every default of `Optimizer(space)` as numbers, each with its citation.

    Without a space the priors are stated as functions of d, the number of the GP's
    input columns (module docstring); with one (a `Space`, or what `Optimizer` takes),
    as the numbers for its d (and its fingerprint). Entries: {"default": text,
    "citation": text}.
    """
    from bayesopt import __version__

    if space is not None and not isinstance(space, Space):
        space = Space(space)
    options = OptimizerOptions()
    c = None if space is None else space.n_columns
    ident = {"version": __version__, "encoded_columns": c,
             "fingerprint": None if space is None else _default_fingerprint(space)}
    columns = None if space is None else (model_columns(space, options.model), space.n_columns)
    return {"identity": ident, **_model_entries(options.model, columns),
            **_search_entries(options)}


def _default_fingerprint(space: Space) -> str:
    n_initial = optimizer.default_n_initial(space)
    return fingerprint(resolved_config(space, "logei", n_initial, False, None, OptimizerOptions()))


def _model_entries(m: model.ModelOptions,
                   columns: tuple[int, int] | None) -> dict[str, dict[str, str]]:
    """The card's lines from the encoding to the refit schedule; `columns`: (d, c) of a
    space (module docstring), None for the card without one."""
    return {
        "encoding": _entry(
            "each dimension to [0, 1]: reals and integers affinely (log-scaled ones in log "
            "space), integers relaxed and rounded on decode (an integer's column spans "
            "[low − ½, high + ½], in log space when log=True, so each value owns a bin), "
            "categoricals one-hot (d = number of encoded columns: a categorical of k "
            "choices gives k)",
            "bayesopt/space.py; the relax-and-round baseline of Garrido-Merchán & "
            "Hernández-Lobato (2020, Neurocomputing 380), arXiv:1805.03463"),
        "initial_design": _entry(
            "scrambled Sobol points (scipy.stats.qmc); n_initial = number of dimensions + 1, "
            "within [5, 20]", "Owen (1998), scrambled nets; Loeppky, Sacks & Welch (2009)"),
        "output_transform": _entry(
            "z-scores of the values (negated with maximize=True; equal values, or one, "
            "have mean their value and scale its magnitude, 1 at 0), then "
            f"{m.output_transform} with λ by maximum likelihood within "
            f"{list(transforms.LAMBDA_BOUNDS)}, refit with the hyperparameters; then "
            "standardized again: the GP's targets (Surrogate.hyperparameters() gives "
            "output_transform and output_standardization)",
            "Yeo & Johnson (2000); Cowen-Rivers et al. (2022), HEBO"),
        "kernel": _entry(
            f"zero-mean GP, {m.kernel}, ARD (one lengthscale per encoded column), signal "
            "variance; "
            f"lengthscales in {list(fitting.LENGTHSCALE_BOUNDS)}, signal variance in "
            f"{list(fitting.VARIANCE_BOUNDS)} (standardized outputs)",
            "Rasmussen & Williams (2006), Sec. 4.2; Snoek, Larochelle & Adams (2012)"),
        "priors": _entry(_priors_text(m, columns), "Hvarfner, Hellsten & Nardi (2024), "
                         "arXiv:2402.02229, Sec. 4, re-centred (bayesopt/priors.py)"),
        "noise": _entry(
            f"Gaussian, variance fitted within {list(m.fit.noise_bounds)} on standardized "
            f"outputs (noise floor {m.fit.noise_bounds[0]:g}); a kernel matrix that does not "
            f"factorize gets jitter on its diagonal besides the noise: none, then "
            f"{JITTER_STEPS[0]:g}, {JITTER_STEPS[1]:g}, …, {JITTER_STEPS[-1]:g} of its "
            "mean diagonal, the first that factorizes (Surrogate.hyperparameters().jitter)",
            "bench/results/ablation.md (noise-floor-1e-6); kernels/cholesky.py"),
        "fit": _entry(
            f"MAP (log marginal likelihood + log priors) over log-parameters, L-BFGS-B with "
            f"analytic gradients, maxiter {m.fit.maxiter}"
            f"{'' if m.fit.ftol is None else f', ftol {m.fit.ftol:g}'}"
            f"{_precondition_text(m.fit.precondition)}; "
            f"{_fit_start_text(m.fit_start)} plus "
            f"{m.n_restarts} "
            f"random restarts from the priors once every {m.restart_every} observations while "
            f"n <= {m.restarts_until}; a random subset of {m.max_fit_points} points beyond "
            "that many",
            "Rasmussen & Williams (2006), Eq. 5.8, 5.9; Nocedal & Wright (2006), §2.2, "
            "Eq. 6.19; bench/results/restart_every.md, bench/results/ablation_round23.md"),
        "refit_schedule": _entry(
            f"hyperparameters refit after every tell while n <= {m.refit_every_step_until}, "
            f"then when n has grown by {m.refit_growth:.0%}; block Cholesky appends between",
            "bayesopt/model.py; bench/results/large_n_quality.md"),
    }


def _starts_text(a: AcquisitionOptimizerOptions) -> str:
    """The polish's starts in the card's words (`AcquisitionOptimizerOptions.start_selection`
    and `incumbent_start`)."""
    if a.start_selection == "best":
        chosen = f"the best {a.n_restarts}"
    else:
        chosen = (f"{a.n_restarts} starts: the best, then draws with probability "
                  f"∝ exp(value − max) (start_selection={a.start_selection!r}; Optuna's GPSampler)")
    if not a.incumbent_start:
        return chosen
    return (f"{chosen}, and one more from the incumbent's observed point, searched on its own "
            "(incumbent_start; Optuna GPSampler's warm start)")


def _precondition_text(precondition: bool) -> str:
    """`FitOptions.precondition` in the card's words ('' when off)."""
    return ("; each refit in coordinates scaled by the last fit's curvature, "
            "s_j = B_jj^(-1/2) of its BFGS estimate" if precondition else "")


def _fit_start_text(start: str) -> str:
    """`fit_start` in the card's words."""
    return "warm start" if start == "last" else "a start at the priors' mode"


def _search_scale_text(scaled: bool) -> str:
    """`scale_by_lengthscales` in the card's words ('' when off)."""
    return ("; in coordinates x_j / s_j, s_j the lengthscale over the longest free "
            f"column's, at least {SEARCH_SCALE_FLOOR:g}" if scaled else "")


def _group_text(group: int) -> str:
    """`candidate_group` in the card's words ('' when 1)."""
    return "" if group == 1 else f", rounded down to a multiple of {group}"


def _rise_text(tol: float | None) -> str:
    """`polish_rise_tol` in the card's words ('' when not set)."""
    return "" if tol is None else f"; stopped once no start rose by more than {tol:g}"


def _search_entries(options: OptimizerOptions) -> dict[str, dict[str, str]]:
    """The card's lines from the acquisition to the failures."""
    m, a = options.model, options.acquisition_optimizer
    return {
        "acquisition": _entry(
            "LogEI; incumbent: the lowest posterior mean at an observed point "
            f"(incumbent={m.incumbent!r})",
            "Ament et al. (2023), arXiv:2310.20708, Eq. 9; Picheny, Wagner & Ginsbourger (2013)"),
        "acquisition_optimizer": _entry(
            f"{a.n_candidates} scrambled-Sobol candidates + {a.n_local_candidates} Gaussian "
            f"perturbations (sd {list(a.local_scales)}) of the {propose.N_INCUMBENTS} best "
            f"points; L-BFGS-B from {_starts_text(a)} (maxiter {a.maxiter}, ftol "
            f"{a.ftol:g}{_rise_text(a.polish_rise_tol)}"
            f"{_search_scale_text(a.scale_by_lengthscales)}); {a.categorical_rounds} rounds of "
            "categorical enumeration; candidate "
            f"counts scaled by {a.full_candidates_until}/n beyond n = {a.full_candidates_until}"
            f"{_group_text(a.candidate_group)}",
            "Snoek, Larochelle & Adams (2012); Balandat et al. (2020), BoTorch optimize_acqf; "
            "bench/results/large_n_quality.md, bench/results/ablation_round23.md, "
            "bench/results/candidate_groups.md"),
        "fantasies": _entry(
            f"pending points: {m.fantasy} (kriging believer: conditioned on at their "
            f"posterior mean, with noise {model.FANTASY_NOISE:g} of the signal variance)",
            "Ginsbourger, Le Riche & Carraro (2010)"),
        "failures": _entry(
            "not in the GP; the acquisition damped by a Gaussian hole of width "
            f"min(lengthscale, {propose.MAX_FAILURE_WIDTH:g}) around each",
            "acquisition/penalty.py"),
    }


def _entry(default: str, citation: str) -> dict[str, str]:
    return {"default": default, "citation": citation}


def _priors_text(options: model.ModelOptions, columns: tuple[int, int] | None) -> str:
    d = 1 if columns is None else columns[0]
    priors = HyperparameterPriors.default(d, options.lengthscale_prior, options.noise_prior,
                                          options.variance_prior)
    variance, noise = priors.variance, priors.noise
    if not isinstance(priors.lengthscale, LogNormalPrior):  # no √d scaling to state
        lengthscale = f"{priors.lengthscale.text()} on each lengthscale"
    elif columns is None:
        lengthscale = ("LogNormal(½·log d − 1, 1) on each lengthscale, d = number of encoded "
                       "columns (plus one, the budget level, with a Fidelity)")
    else:
        lengthscale = (f"{priors.lengthscale.text()} on each lengthscale (½·log d − 1 for "
                       f"d = {_columns_text(*columns)})")
    return (f"{lengthscale}; {variance.text()} on the signal variance; {noise.text()} on the "
            "noise variance")


def _columns_text(d: int, c: int) -> str:
    """The GP's d input columns: the c encoded ones, or those and the budget level."""
    return f"{d} encoded columns" if d == c else f"{d}: {c} encoded columns + the budget level"


def card_markdown(card: dict[str, Any]) -> str:
    """The card as the Markdown page docs/baseline-card.md."""
    ident = card["identity"]
    lines = [
        "# Baseline card", "",
        ("<!-- generated by `python docs/make_card.py` from `bayesopt.baseline_card()`; "
         "tests/test_card.py checks it -->"), "",
        (f"bayesopt {ident['version']}: the defaults of `Optimizer(space)`, each with its "
         "source. `bayesopt.baseline_card(space)` gives the same with the priors' numbers "
         "for that space and the fingerprint of its resolved configuration. LogNormal(μ, σ): "
         "the logarithm of the parameter is Normal(μ, σ²)."), "",
        "| item | default | source |", "|---|---|---|",
    ]
    for name, entry in card.items():
        if name != "identity":
            lines.append(f"| {name.replace('_', ' ')} | {entry['default']} | {entry['citation']} |")
    return "\n".join(lines) + "\n"
