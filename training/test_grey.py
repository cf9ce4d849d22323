# training/test_grey.py: the grey augmentation (train.py --grey) and grey evaluation
# (evaluate.py --grey) show a model what a monochrome or night-mode camera delivers after
# videoconvert: R = G = B = the BT.601 luma. greyscale_some greys exactly the samples its
# random draw picks and leaves the others bit for bit, so a teacher can still get colour.
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import grey_images, greyscale_some, to_grey  # noqa: E402


def main():
    # uint8 crops: primaries and a grey pixel
    img = torch.tensor([[[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [90, 90, 90]]]],
                       dtype=torch.uint8)
    g = grey_images(img)
    assert g.shape == img.shape and g.dtype == torch.uint8
    assert (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()
    assert g[0, 0, 0, 0] == 76 and g[0, 0, 1, 0] == 150 and g[0, 1, 0, 0] == 29, g[..., 0]
    assert g[0, 1, 1, 0] == 90, "a grey pixel must stay as it is"
    assert torch.equal(grey_images(g), g), "grey twice must equal grey once"

    # float batches, channels_last as the Augmenter hands them over
    rng0 = np.random.default_rng(5)
    x = torch.from_numpy(rng0.random((64, 3, 8, 8)).astype(np.float32)).contiguous(
        memory_format=torch.channels_last)
    assert greyscale_some(x, 0.0, np.random.default_rng(1)) is x
    y = greyscale_some(x, 1.0, np.random.default_rng(1))
    assert torch.allclose(y, to_grey(x)) and torch.allclose(y[:, 0], y[:, 2])
    lum = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    assert torch.allclose(y[:, 1], lum, atol=1e-6)

    p = 0.25
    y = greyscale_some(x, p, np.random.default_rng(7))
    pick = np.random.default_rng(7).random(64) < p
    assert 4 <= pick.sum() <= 30, pick.sum()
    grey = (y[:, 0] == y[:, 1]).flatten(1).all(1) & (y[:, 1] == y[:, 2]).flatten(1).all(1)
    assert np.array_equal(grey.numpy(), pick), "the grey samples are not the drawn ones"
    assert torch.equal(y[~torch.from_numpy(pick)], x[~torch.from_numpy(pick)]), \
        "a sample not drawn was changed"
    assert torch.allclose(y[torch.from_numpy(pick)], to_grey(x)[torch.from_numpy(pick)])
    assert y.is_contiguous(memory_format=torch.channels_last)
    print(f"ok: {int(pick.sum())} of 64 samples grey at p = {p}; luma of red, green, blue "
          f"{int(g[0, 0, 0, 0])}, {int(g[0, 0, 1, 0])}, {int(g[0, 1, 0, 0])}")


if __name__ == "__main__":
    main()
