"""A calibrated rig's target camera in the EG3D head frame: exact for a known similarity, a round trip back to the
world, the head's motion carried frame by frame."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from baselines import cameras

RNG = np.random.default_rng(7)


def look_at(position: np.ndarray, target: np.ndarray, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """OpenCV camera-to-world: +z towards ``target``, +y down."""
    z = target - position
    z /= np.linalg.norm(z)
    x = np.cross(z, -np.asarray(up))
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    out = np.eye(4)
    out[:3, :3] = np.stack([x, y, z], axis=1)
    out[:3, 3] = position
    return out


def rig(head: np.ndarray, distance: float, yaw_deg: float) -> np.ndarray:
    yaw = np.radians(yaw_deg)
    direction = np.array([np.sin(yaw), 0.05, np.cos(yaw)])
    return look_at(head + distance * direction / np.linalg.norm(direction), head)


def known_similarity() -> cameras.Similarity:
    rotation = Rotation.from_euler("xyz", RNG.uniform(-0.4, 0.4, 3)).as_matrix()
    return cameras.Similarity(2.7 / 1.1, rotation, RNG.normal(0, 0.01, 3))


def test_head_centre_is_where_the_rig_aims():
    head = np.array([0.1, -0.2, 0.3])
    a, b = rig(head, 1.1, -20), rig(head, 1.3, 35)
    np.testing.assert_allclose(cameras.head_centre(a, b), head, atol=1e-9)
    with pytest.raises(ValueError, match="parallel"):
        cameras.head_centre(a, a)


def test_target_camera_matches_a_known_similarity_and_round_trips():
    head = np.array([0.1, -0.2, 0.3])
    reference, target = rig(head, 1.1, -5), rig(head, 1.1, 40)
    truth = known_similarity()
    truth = cameras.Similarity(truth.scale, truth.rotation, -truth.scale * truth.rotation @ head)  # head -> origin
    estimated = truth.camera(reference)
    label = np.concatenate([estimated.reshape(-1), [4.2647, 0, 0.5, 0, 4.2647, 0.5, 0, 0, 1]])

    converted = cameras.target_labels(reference, target, label[None])[0]
    np.testing.assert_allclose(converted[:16].reshape(4, 4), truth.camera(target), atol=1e-9)
    np.testing.assert_allclose(converted[16:], label[16:])  # the crop's intrinsics are kept
    assert np.linalg.norm(converted[:3 * 4].reshape(3, 4)[:, 3]) == pytest.approx(2.7)

    similarity = cameras.world_to_head(reference, estimated, cameras.head_centre(reference, target))
    np.testing.assert_allclose(similarity.inverse_camera(converted[:16].reshape(4, 4)), target, atol=1e-9)


def test_the_reference_view_is_left_as_estimated_and_head_motion_carries_over():
    head = np.zeros(3)
    reference, target = rig(head, 1.0, 0), rig(head, 1.0, 30)
    frames = []
    for yaw in (0.0, 0.2):  # the head turns between the two frames: its estimated camera turns the other way
        turn = cameras.Similarity(2.7, Rotation.from_euler("y", yaw).as_matrix(), np.zeros(3))
        frames.append(np.concatenate([turn.camera(reference).reshape(-1), np.eye(3).reshape(-1)]))
    same = cameras.target_labels(reference, reference, np.array(frames))
    np.testing.assert_allclose(same, frames)
    moved = cameras.target_labels(reference, target, np.array(frames))
    relative = [np.linalg.inv(np.array(f[:16]).reshape(4, 4)) @ np.array(m[:16]).reshape(4, 4)
                for f, m in zip(frames, moved)]
    np.testing.assert_allclose(relative[0], relative[1], atol=1e-9)  # the target keeps its place beside the reference
    assert not np.allclose(moved[0][:16], moved[1][:16])
