"""Dataset adapters: each turns a dataset root in its real layout into clip records."""
