"""Report sections of the four task scripts."""
