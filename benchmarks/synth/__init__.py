"""Synthesis of MiniTalk: portraits, speech, landmark-driven warps, cameras and trajectories."""
