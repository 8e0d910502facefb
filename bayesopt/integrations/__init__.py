"""Adapters that put the bayesopt engine behind other libraries' interfaces.

    from bayesopt.integrations.optuna import BayesoptSampler   # needs bayesopt[optuna]

Each submodule imports its host library; importing this package imports none.
"""
