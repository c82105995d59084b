"""Multi-turn dialogues: a simulated user follows up on an answer (to clarify, challenge or
extend it) and the assistant answers again, for a given number of turns."""
