"""Preference data without annotators: a model's critique and revision of a response against a
principle (Constitutional AI), and its choice between two responses (AI feedback)."""
