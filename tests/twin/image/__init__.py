"""The twin's base image and Docker CLI wrapper (imported by tests/twin/twinctl as image.*)."""
