"""Small helpers shared by the subpackages: validation and atomic file output."""
