"""Acquisition functions (value and gradient) and their optimizers.

Works on a surrogate's posterior mean and standard deviation only; never imports
``bayesopt``.
"""
