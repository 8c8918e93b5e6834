"""The twin's .deb build and shared helpers (imported by tests/twin/twinctl as package.*)."""
