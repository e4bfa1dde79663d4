"""Cameras for MiniTalk's multi-view data: a NeRSemble-like rig and smooth orbiting sweeps.

World axes follow OpenCV (x right, y down, z forward); the face plane sits at z = 0 facing -z, so a
camera at negative z looking at the origin sees it unmirrored.
"""
from __future__ import annotations

import numpy as np

# The 16 serials of NeRSemble's rig. Their real placement is not published with the serials, so
# MiniTalk puts them, in this order, on two nominal rows of a frontal arc (not the real geometry).
NERSEMBLE_SERIALS = (
    "222200042", "222200044", "222200046", "222200040", "222200036", "222200048", "220700191", "222200041",
    "222200037", "222200038", "222200047", "222200043", "222200049", "222200039", "222200045", "221501007",
)
NERSEMBLE_SENSOR = (3208, 2200)
NERSEMBLE_FOCAL_PX = 6500.0  # ~28 degrees horizontal field of view: the 30 cm portrait fills ~90% of the height
NERSEMBLE_DISTANCE_M = 1.0
NERSEMBLE_ROWS_DEG = ((12.0, np.linspace(-60, 60, 8)), (-6.0, np.linspace(-52.5, 67.5, 8)))


def look_at(position: np.ndarray, target: np.ndarray | None = None) -> np.ndarray:
    """4x4 world_2_cam (OpenCV) of a camera at ``position`` looking at ``target`` (default: the origin), image y along
    world +y."""
    target = np.zeros(3) if target is None else target
    z = (target - position) / np.linalg.norm(target - position)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    R = np.stack([x, y, z])
    E = np.eye(4)
    E[:3, :3], E[:3, 3] = R, -R @ position
    return E


def orbit_position(azimuth: float, elevation: float, distance: float) -> np.ndarray:
    """Camera centre at (azimuth, elevation) radians around the origin; 0, 0 is straight in front of the face."""
    return distance * np.array([np.sin(azimuth) * np.cos(elevation), -np.sin(elevation), -np.cos(azimuth) * np.cos(elevation)])


def nersemble_rig() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Shared K (pixels of the 3208x2200 sensor) and world_2_cam per serial."""
    w, h = NERSEMBLE_SENSOR
    K = np.array([[NERSEMBLE_FOCAL_PX, 0, w / 2], [0, NERSEMBLE_FOCAL_PX, h / 2], [0, 0, 1.0]])
    angles = [(az, el) for el, azs in NERSEMBLE_ROWS_DEG for az in azs]
    extrinsics = {
        serial: look_at(orbit_position(np.radians(az), np.radians(el), NERSEMBLE_DISTANCE_M))
        for serial, (az, el) in zip(NERSEMBLE_SERIALS, angles)
    }
    return K, extrinsics


def scale_intrinsics(K: np.ndarray, from_size: tuple[int, int], to_size: tuple[int, int]) -> np.ndarray:
    return np.diag([to_size[0] / from_size[0], to_size[1] / from_size[1], 1.0]) @ K


def sweep(rng: np.random.Generator, n_frames: int, fps: float, azimuth_deg: float, elevation_deg: float,
          distance: float) -> list[np.ndarray]:
    """world_2_cam per frame of a camera oscillating smoothly over +-azimuth/2 and +-elevation/2."""
    t = np.arange(n_frames) / fps
    f_az, f_el = rng.uniform(0.3, 0.6), rng.uniform(0.2, 0.5)  # Hz: at least half a swing in 2 s
    p_az, p_el = rng.uniform(0, 2 * np.pi, 2)
    az = np.radians(azimuth_deg / 2) * np.sin(2 * np.pi * f_az * t + p_az)
    el = np.radians(elevation_deg / 2) * np.sin(2 * np.pi * f_el * t + p_el)
    return [look_at(orbit_position(a, e, distance)) for a, e in zip(az, el)]
