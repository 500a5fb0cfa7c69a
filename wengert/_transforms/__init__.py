"""Function transformations, one interpreter per file."""
