"""The model registry (committed .onnx files with cards), their feature code, the synthetic
data they are trained on, and `verachain models train`. Nothing here loads at import time."""
