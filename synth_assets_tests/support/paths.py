"""Where the checkout's own files are, for tests that read them (the shipped data, the workspace)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_DATA = ROOT / "data"
