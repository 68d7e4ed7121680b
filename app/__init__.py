"""The application layer: what the store does, wired to the store file and the devices,
with no Qt. Screens (``ui/``) draw and forward keys to it; the command line and the bench
scripts use it too (issue #15; docs/architecture.md)."""
