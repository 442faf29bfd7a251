"""Weak signals (placeholder docstring, completed below)."""

from lib.signals.engine import detect, replay
from lib.signals.registry import DETECTORS, KINDS, Detector, Param

__all__ = ["DETECTORS", "KINDS", "Detector", "Param", "detect", "replay"]
