"""Network file of the ``anpr_gate_g2`` recogniser, in the form easyocr's ``user_network_directory`` expects.

The architecture is easyocr's generation-2 recogniser unchanged (VGG feature
extractor, two BiLSTM layers, a linear CTC head), so the weights start from
``english_g2``; only the head is cut down to blank + 0-9 A-Z. easyocr imports
this module by name and calls ``Model(num_class=..., **network_params)`` with
``network_params`` from ``anpr_gate_g2.yaml``.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


class BidirectionalLSTM(nn.Module):
    """One BiLSTM layer with a linear projection: ``(N, T, input_size) -> (N, T, output_size)``."""

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(input_size, hidden_size, bidirectional=True, batch_first=True)
        self.linear = nn.Linear(hidden_size * 2, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with contextlib.suppress(AttributeError, RuntimeError):  # quantized LSTMs have no flat weights
            self.rnn.flatten_parameters()
        recurrent, _ = self.rnn(x)
        out: torch.Tensor = self.linear(recurrent)
        return out


class VGG_FeatureExtractor(nn.Module):  # easyocr's state-dict names
    """easyocr's generation-2 convolution stack: ``(N, 1, H, W) -> (N, C, H/16 - 1, W/4 - 1)``."""

    def __init__(self, input_channel: int, output_channel: int = 256) -> None:
        super().__init__()
        c = [output_channel // 8, output_channel // 4, output_channel // 2, output_channel]
        self.ConvNet = nn.Sequential(
            nn.Conv2d(input_channel, c[0], 3, 1, 1), nn.ReLU(True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(c[0], c[1], 3, 1, 1), nn.ReLU(True),
            nn.MaxPool2d(2, 2),
            nn.Conv2d(c[1], c[2], 3, 1, 1), nn.ReLU(True),
            nn.Conv2d(c[2], c[2], 3, 1, 1), nn.ReLU(True),
            nn.MaxPool2d((2, 1), (2, 1)),
            nn.Conv2d(c[2], c[3], 3, 1, 1, bias=False),
            nn.BatchNorm2d(c[3]), nn.ReLU(True),
            nn.Conv2d(c[3], c[3], 3, 1, 1, bias=False),
            nn.BatchNorm2d(c[3]), nn.ReLU(True),
            nn.MaxPool2d((2, 1), (2, 1)),
            nn.Conv2d(c[3], c[3], 2, 1, 0), nn.ReLU(True),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.ConvNet(x)
        return out


class Model(nn.Module):
    """VGG + BiLSTM + CTC head: ``(N, 1, H, W)`` in ``[-1, 1]`` -> ``(N, W/4 - 1, num_class)`` logits."""

    def __init__(self, input_channel: int, output_channel: int, hidden_size: int, num_class: int) -> None:
        super().__init__()
        self.FeatureExtraction = VGG_FeatureExtractor(input_channel, output_channel)
        self.FeatureExtraction_output = output_channel
        self.AdaptiveAvgPool = nn.AdaptiveAvgPool2d((None, 1))
        self.SequenceModeling = nn.Sequential(
            BidirectionalLSTM(self.FeatureExtraction_output, hidden_size, hidden_size),
            BidirectionalLSTM(hidden_size, hidden_size, hidden_size),
        )
        self.SequenceModeling_output = hidden_size
        self.Prediction = nn.Linear(self.SequenceModeling_output, num_class)

    def forward(self, x: torch.Tensor, text: object = None) -> torch.Tensor:
        visual = self.FeatureExtraction(x)
        visual = self.AdaptiveAvgPool(visual.permute(0, 3, 1, 2)).squeeze(3)
        contextual = self.SequenceModeling(visual)
        out: torch.Tensor = self.Prediction(contextual.contiguous())
        return out
