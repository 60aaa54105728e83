"""Model wing: features, candidate pipelines, calibration, evaluation, training and the saved model."""
