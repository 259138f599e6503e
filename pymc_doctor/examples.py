"""Built-in example models: the getting-started talk's bioassay and the eight schools."""

from __future__ import annotations

import numpy as np

SCHOOLS = (
    "Choate",
    "Deerfield",
    "Phillips Andover",
    "Phillips Exeter",
    "Hotchkiss",
    "Lawrenceville",
    "St. Paul's",
    "Mt. Hermon",
)
SCHOOL_EFFECTS = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
SCHOOL_SES = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])

LOG_DOSE = np.array([-0.86, -0.30, -0.05, 0.73])
ANIMALS = np.array([5, 5, 5, 5])
DEATHS = np.array([0, 1, 3, 5])


def bioassay():
    """Dose-response logistic regression with a binomial likelihood (Gelman et al., BDA3 3.7)."""
    import pymc as pm

    with pm.Model(coords={"dose_group": range(len(LOG_DOSE))}) as model:
        dose = pm.Data("dose", LOG_DOSE, dims="dose_group")
        deaths = pm.Data("deaths", DEATHS, dims="dose_group")
        alpha = pm.Normal("alpha", mu=0, sigma=10)
        beta = pm.Normal("beta", mu=0, sigma=10)
        theta = pm.Deterministic("theta", pm.math.invlogit(alpha + beta * dose), dims="dose_group")
        pm.Binomial("obs", n=ANIMALS, p=theta, observed=deaths, dims="dose_group")
    return model


def centered_eight():
    """Eight schools, centered: the classic funnel that NUTS cannot enter."""
    import pymc as pm

    with pm.Model(coords={"school": SCHOOLS}) as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        tau = pm.HalfCauchy("tau", beta=5)
        theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
        pm.Normal("obs", mu=theta, sigma=SCHOOL_SES, observed=SCHOOL_EFFECTS, dims="school")
    return model


def noncentered_eight():
    """Eight schools, non-centered: the rewrite that removes the funnel."""
    import pymc as pm

    with pm.Model(coords={"school": SCHOOLS}) as model:
        mu = pm.Normal("mu", mu=0, sigma=5)
        tau = pm.HalfCauchy("tau", beta=5)
        theta_offset = pm.Normal("theta_offset", mu=0, sigma=1, dims="school")
        theta = pm.Deterministic("theta", mu + tau * theta_offset, dims="school")
        pm.Normal("obs", mu=theta, sigma=SCHOOL_SES, observed=SCHOOL_EFFECTS, dims="school")
    return model


EXAMPLES = {"bioassay": bioassay, "centered_eight": centered_eight, "noncentered_eight": noncentered_eight}
