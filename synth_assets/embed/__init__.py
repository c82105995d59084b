"""Text embeddings for measuring collapse in representation space: a small model that ships
inside its PyPI wheel and runs on a CPU offline (the default), or any model the user has."""
