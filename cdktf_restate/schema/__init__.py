"""The props of the constructs: their types, defaults and rules (validated before any synth)."""
