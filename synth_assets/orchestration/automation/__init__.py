"""Schedules and sensors that move experiments forward without a person at the UI."""
