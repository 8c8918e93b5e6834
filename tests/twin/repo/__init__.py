"""The twin's signed apt repository and its server (imported by tests/twin/twinctl as repo.*)."""
