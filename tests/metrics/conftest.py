import pytest
import torch

from metrics.weights import Resolved


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def random_init():
    return Resolved(None, "random-init:0", 0)


@pytest.fixture(scope="session")
def inception(random_init):
    from metrics.fid import build_inception

    return build_inception(random_init)
