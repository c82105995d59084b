"""Text generation backends behind one small interface."""

from synth_assets.llm.base import Generation, GenerationRequest, TextGenerator

__all__ = ["Generation", "GenerationRequest", "TextGenerator"]
