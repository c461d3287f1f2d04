"""What every function shares: loading the compiled configs, errors, event checks."""
