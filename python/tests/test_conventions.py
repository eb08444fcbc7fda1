"""scikit-learn's own checks over every estimator of the package, with no expected-failure
list: each check is one test."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import occam


@parametrize_with_checks(
    [
        occam.ElasticNetCV(cv=3, n_lambdas=20),
        occam.LogisticNetCV(cv=3, n_lambdas=20),
        occam.ElasticNet(n_lambdas=20),
        occam.MLPClassifier(),
        occam.MLPRegressor(),
        occam.StabilitySelection(pairs=10),
        occam.BayesianRidge(),
        occam.ARDRegression(),
    ]
)
def test_scikit_learn_conventions(estimator, check):
    check(estimator)
