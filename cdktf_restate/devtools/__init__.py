"""Developer tooling: local AWS emulator, Terraform runner (used by the CLI and the tests)."""
