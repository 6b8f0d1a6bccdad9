"""``keras.Model`` subclasses with a custom ``train_step`` (the TensorFlow-specific part)."""
