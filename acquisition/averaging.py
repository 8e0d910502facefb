"""An acquisition integrated over posterior samples of the surrogate's hyperparameters.

    S                 number of hyperparameter samples θ_s
    μ_s, σ_s : (S, m) the surrogate's mean and standard deviation under each θ_s
    a_s      : (S, m) the acquisition under each θ_s, ∇a_s : (S, m, d)

The integrated acquisition (Snoek, Larochelle & Adams 2012, Eq. 5) is the
average of the acquisition itself, ā(x) = (1/S) Σ_s a(x; θ_s). For an
acquisition returned in log space (LogEI, log PI) that is the log of the
average of exp(a_s), a log-mean-exp, whose gradient is the softmax-weighted
average of the samples' gradients:

    log ā = logsumexp_s(a_s) − log S,     ∇ log ā = Σ_s softmax(a)_s ∇a_s

Both are computed from the shifted values a_s − max_s a_s, so neither
overflows nor loses the samples whose LogEI is far below the best one's.
For EI and UCB, ā and ∇ā are plain means.

With weights w_s (`SampledSurrogate.sample_log_weights`, a Bayesian model average
over kernels) 1/S becomes w_s: log ā = logsumexp_s(a_s + log w_s),
∇ log ā = Σ_s softmax(a + log w)_s ∇a_s, and ā = Σ_s w_s a_s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable

import numpy as np
from scipy.special import logsumexp, softmax

from acquisition.functions import ExpectedImprovement
from acquisition.optimizer import AcquisitionObjective


class SampledSurrogate(Protocol):
    """A surrogate that answers under each of its S samples: of its hyperparameters, of
    its kernel (a model average), or of f at the observed points (noisy EI,
    `bayesopt.noisy`, whose average is the same log-mean-exp)."""

    def predict_samples(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means and standard deviations: (m, d) → (S, m), (S, m)."""
        ...

    def predict_samples_with_gradient(
        self, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Means, stds and their gradients: (S, m), (S, m), (S, m, d), (S, m, d)."""
        ...

    def sample_log_weights(self) -> np.ndarray | None:
        """log w_s (S,), Σ w_s = 1; None for equal weights 1/S."""
        ...


@runtime_checkable
class SampledSwitchingSurrogate(Protocol):
    """A `SampledSurrogate` that scores a categorical's switches under each sample."""

    def predict_samples_switches(self, X: np.ndarray,
                                 group: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """Means and stds (S, r, k) at the trials of X: (r, d) with the one-hot columns
        `group` (k,) set to each e_c, equal to `predict_samples`' to rounding; None when
        it cannot give them so (`acquisition.optimizer.SwitchingSurrogate`, per sample)."""
        ...


@dataclass
class AveragedAcquisitionObjective(AcquisitionObjective):
    """`AcquisitionObjective` with the acquisition averaged over the surrogate's samples
    (module docstring); the penalty is applied to the average, as to a single one."""

    screens = False  # the average over samples is no acquisition of one (mean, std)

    def _sampled(self) -> SampledSurrogate:
        return cast(SampledSurrogate, self.surrogate)

    def _undamped(self, X: np.ndarray) -> np.ndarray:
        return self._average(*self._sampled().predict_samples(X))

    def _undamped_switches(self, X: np.ndarray, group: np.ndarray) -> np.ndarray | None:
        """The average at the r·k trials of `switch_values`, (r, k), from each sample's
        switches (`SampledSurrogate.predict_samples_switches`); None when it cannot."""
        if not isinstance(self.surrogate, SampledSwitchingSurrogate):
            return None
        moments = self.surrogate.predict_samples_switches(X, group)
        if moments is None:
            return None
        mean, std = moments  # (S, r, k)
        S, r, k = mean.shape
        return self._average(mean.reshape(S, r * k), std.reshape(S, r * k)).reshape(r, k)

    def _average(self, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        """The (weighted) average of the acquisition over the samples' (S, m) moments: (m,)."""
        values = np.stack([self.acquisition(m, s) for m, s in zip(mean, std)])  # (S, m)
        log_w = self._sampled().sample_log_weights()
        if log_w is not None:
            if self.acquisition.log_space:
                return cast(np.ndarray, logsumexp(values + log_w[:, None], axis=0))
            return cast(np.ndarray, np.exp(log_w) @ values)
        if self.acquisition.log_space:
            return cast(np.ndarray, logsumexp(values, axis=0) - np.log(values.shape[0]))
        return cast(np.ndarray, values.mean(axis=0))

    def _undamped_log_ei(self, X: np.ndarray, ei: ExpectedImprovement) -> np.ndarray:
        """log of the (weighted) mean of EI over the samples, from each sample's log EI
        (`ExpectedImprovement.log_value`) by logsumexp, as the log-space average."""
        mean, std = self._sampled().predict_samples(X)
        logs = np.stack([ei.log_value(m, s) for m, s in zip(mean, std)])  # (S, m)
        log_w = self._sampled().sample_log_weights()
        if log_w is not None:
            return cast(np.ndarray, logsumexp(logs + log_w[:, None], axis=0))
        return cast(np.ndarray, logsumexp(logs, axis=0) - np.log(logs.shape[0]))

    def _undamped_with_gradient(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std, d_mean, d_std = self._sampled().predict_samples_with_gradient(X)
        parts = [self.acquisition.value_and_grad(m, s) for m, s in zip(mean, std)]
        values = np.stack([value for value, _, _ in parts])  # (S, m)
        grads = np.stack([da_dm[:, None] * dm + da_ds[:, None] * ds
                          for (_, da_dm, da_ds), dm, ds in zip(parts, d_mean, d_std)])  # (S, m, d)
        log_w = self._sampled().sample_log_weights()
        if log_w is not None:
            return self._weighted(values, grads, log_w)
        if self.acquisition.log_space:
            weights = softmax(values, axis=0)  # (S, m)
            value = logsumexp(values, axis=0) - np.log(values.shape[0])
            return value, np.einsum("sm,smd->md", weights, grads)
        return values.mean(axis=0), grads.mean(axis=0)

    def _weighted(self, values: np.ndarray, grads: np.ndarray,
                  log_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ā and ∇ā with weights w_s (module docstring): values (S, m), grads (S, m, d)."""
        if self.acquisition.log_space:
            shifted = values + log_w[:, None]  # (S, m)
            return (logsumexp(shifted, axis=0),
                    np.einsum("sm,smd->md", softmax(shifted, axis=0), grads))
        w = np.exp(log_w)  # (S,)
        return w @ values, np.einsum("s,smd->md", w, grads)
