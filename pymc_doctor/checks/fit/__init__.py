"""Model criticism: whether the model can describe the data it was fitted to (posterior predictive
checks, PSIS-LOO). One module per topic; importing this package registers the rules of all of them.
"""

from pymc_doctor.checks.fit import calibration, loo, predictive, sensitivity

__all__ = ["calibration", "loo", "predictive", "sensitivity"]
