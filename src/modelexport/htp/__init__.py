"""The hierarchy-preserving exporter: six steps from nn.Module to tagged ONNX."""
