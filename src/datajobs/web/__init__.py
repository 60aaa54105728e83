"""Web wing: the browser bundle of the model, the predictor form and its widget."""
