"""How a round's new tasks are made: one module per generation method (a recipe), one registry
(`registry.RECIPES`). An experiment chooses recipes and their shares in the experiments file."""
