"""Novel-view trajectories: start at the input view, end exactly at the target, move smoothly."""
import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from model.trajectory import camera_trajectory, smoothstep
from tests.model.test_model_pipeline import make_camera


def test_trajectory_ends_exactly_at_target_and_starts_at_source():
    source, target = make_camera("src", -10), make_camera("dst", 50)
    path = camera_trajectory(source, target, 25)
    assert len(path) == 25
    assert np.array_equal(path[0].label25(), source.label25())
    assert np.array_equal(path[-1].label25(), target.label25())


def test_trajectory_is_smooth_and_eased():
    source, target = make_camera("src", 0), make_camera("dst", 60)
    path = camera_trajectory(source, target, 31)
    c2w = [np.linalg.inv(np.asarray(c.world_2_cam)) for c in path]
    start = Rotation.from_matrix(c2w[0][:3, :3])
    angles = np.array([np.rad2deg((Rotation.from_matrix(m[:3, :3]) * start.inv()).magnitude()) for m in c2w])
    steps = np.diff(angles)
    assert (steps > 0).all()  # monotonic towards the target
    assert np.isclose(angles[-1], 60.0)
    assert steps[0] < steps[15] / 5 and steps[-1] < steps[15] / 5  # eased: slow at both ends
    assert np.abs(np.diff(steps)).max() < 0.15 * steps.max()  # no jumps in angular velocity
    centres = np.array([m[:3, 3] for m in c2w])
    assert np.abs(np.diff(centres, 2, axis=0)).max() < 0.15 * np.abs(np.diff(centres, axis=0)).max()


def test_smoothstep_endpoints_are_exact():
    assert smoothstep(np.array([0.0, 0.5, 1.0])).tolist() == [0.0, 0.5, 1.0]


def test_trajectory_needs_two_frames():
    with pytest.raises(ValueError, match="at least 2"):
        camera_trajectory(make_camera("a", 0), make_camera("b", 10), 1)
