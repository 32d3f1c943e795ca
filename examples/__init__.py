"""Small runnable programs using velstack-async; each is tested in tests/examples/."""
