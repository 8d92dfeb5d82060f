"""pytorch-fid's FID InceptionV3, built on torchvision's own modules: the outside reference for this project's
TypeScript network (developer tool only; nothing in the service or in CI runs Python).

Debian's torch 1.13 and torchvision 0.14 (`apt-get install python3-torch python3-torchvision`, run with
/usr/bin/python3) are enough. The network is torchvision's Inception3(num_classes=1008, aux_logits=False) with
pytorch-fid's replacements: Mixed_5b-5d, 6b-6e and 7b take their pool branch through avg_pool2d(3, stride 1,
pad 1, count_include_pad=False), Mixed_7c through a max pool. Inputs in [0, 1] are resized to 299 x 299
(bilinear, align_corners=False) and mapped to [-1, 1], as pytorch-fid's InceptionV3(resize_input=True,
normalize_input=True) does; every output but "2048" is spatially averaged, as pytorch-fid's get_activations
does, and "logits" is fc without its bias (torch-fidelity's logits_unbiased, used for Inception Score).

Used by tests/models/fid-inception/_torch_fixture/make_fixture.py and bench/torch_baseline.py.
"""

import torch
import torch.nn.functional as F
import torchvision.models.inception as tvi

OUTPUTS = ("64", "192", "768", "2048", "logits")


def _avg_pool(x):
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class FidInceptionA(tvi.InceptionA):
    """torchvision's InceptionA with the pool branch pytorch-fid uses (padding excluded from the average)."""

    def forward(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(_avg_pool(x))], 1)


class FidInceptionC(tvi.InceptionC):
    """torchvision's InceptionC with pytorch-fid's pool branch."""

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for m in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                  self.branch7x7dbl_5):
            d = m(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg_pool(x))], 1)


class FidInceptionE(tvi.InceptionE):
    """torchvision's InceptionE with pytorch-fid's pool branch: average (Mixed_7b) or max (Mixed_7c)."""

    def __init__(self, in_channels, pool):
        super().__init__(in_channels)
        self.pool = pool

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = _avg_pool(x) if self.pool == "avg" else F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(pooled)], 1)


class FidInceptionV3(torch.nn.Module):
    """pytorch-fid's network; forward(images in [0, 1], NCHW, 3 channels) -> dict of the OUTPUTS."""

    def __init__(self):
        super().__init__()
        net = tvi.Inception3(num_classes=1008, aux_logits=False, init_weights=False)
        net.Mixed_5b = FidInceptionA(192, pool_features=32)
        net.Mixed_5c = FidInceptionA(256, pool_features=64)
        net.Mixed_5d = FidInceptionA(288, pool_features=64)
        net.Mixed_6b = FidInceptionC(768, channels_7x7=128)
        net.Mixed_6c = FidInceptionC(768, channels_7x7=160)
        net.Mixed_6d = FidInceptionC(768, channels_7x7=160)
        net.Mixed_6e = FidInceptionC(768, channels_7x7=192)
        net.Mixed_7b = FidInceptionE(1280, "avg")
        net.Mixed_7c = FidInceptionE(2048, "max")
        self.net = net.eval()

    def state_dict_keys(self):
        """The state dict under pytorch-fid's key names (torchvision's module paths, no wrapper prefix)."""
        return self.net.state_dict()

    @torch.no_grad()
    def forward(self, x):
        n = self.net
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = 2 * x - 1
        x = F.max_pool2d(n.Conv2d_2b_3x3(n.Conv2d_2a_3x3(n.Conv2d_1a_3x3(x))), kernel_size=3, stride=2)
        out = {"64": x.mean((2, 3))}
        x = F.max_pool2d(n.Conv2d_4a_3x3(n.Conv2d_3b_1x1(x)), kernel_size=3, stride=2)
        out["192"] = x.mean((2, 3))
        for m in (n.Mixed_5b, n.Mixed_5c, n.Mixed_5d, n.Mixed_6a, n.Mixed_6b, n.Mixed_6c, n.Mixed_6d, n.Mixed_6e):
            x = m(x)
        out["768"] = x.mean((2, 3))
        x = n.Mixed_7c(n.Mixed_7b(n.Mixed_7a(x)))
        pooled = F.adaptive_avg_pool2d(x, (1, 1)).flatten(1)
        out["2048"] = pooled
        out["logits"] = pooled @ n.fc.weight.t()
        return out
