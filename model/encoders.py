"""Conditioning encoders: identity (Arc2Face token injection), audio and camera projections."""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from model.config import ID_PLACEHOLDER, ID_PROMPT, ModelConfig


def identity_token_ids(tokenizer: CLIPTokenizer, prompt: str = ID_PROMPT) -> torch.Tensor:
    """Token ids (1, max_length) of ``prompt``, padded as SD does."""
    return tokenizer(prompt, padding="max_length", max_length=tokenizer.model_max_length,
                     truncation=True, return_tensors="pt").input_ids


def check_identity_tokenizer(tokenizer: CLIPTokenizer) -> None:
    """The fixed prompt must tokenize to known tokens with a single placeholder token.

    Offline, ``CLIPTokenizer.from_pretrained(<hub id>)`` can come back with a near-empty vocabulary that
    maps every word to <|endoftext|>; this catches it.
    """
    words = tokenizer.tokenize(ID_PROMPT)
    placeholder = tokenizer.tokenize(ID_PLACEHOLDER)
    ids = tokenizer.convert_tokens_to_ids(words)
    if len(placeholder) != 1 or len(set(ids)) != len(set(words)) or tokenizer.unk_token_id in ids:
        raise ValueError(f"tokenizer (vocabulary of {len(tokenizer)}) cannot encode {ID_PROMPT!r} with a single "
                         f"{ID_PLACEHOLDER!r} token: got {words} -> {ids}; load the SD1.5 tokenizer folder")


class IdentityEncoder(nn.Module):
    """Arc2Face identity conditioning: the L2-normalised identity vector, zero-padded to the hidden size,
    replaces the placeholder token's embedding in "photo of a id person"; the CLIP text encoder then runs."""

    def __init__(self, text_encoder: CLIPTextModel, tokenizer: CLIPTokenizer):
        super().__init__()
        check_identity_tokenizer(tokenizer)
        self.text_encoder, self.tokenizer = text_encoder, tokenizer
        self.register_buffer("prompt_ids", identity_token_ids(tokenizer), persistent=False)
        self.register_buffer("empty_ids", identity_token_ids(tokenizer, ""), persistent=False)
        self.placeholder_id = tokenizer.convert_tokens_to_ids(tokenizer.tokenize(ID_PLACEHOLDER))[0]

    @property
    def hidden_size(self) -> int:
        return self.text_encoder.config.hidden_size

    @property
    def dtype(self) -> torch.dtype:
        return self.text_encoder.dtype

    @property
    def device(self) -> torch.device:
        return self.text_encoder.device

    @torch.no_grad()
    def forward(self, identity: torch.Tensor) -> torch.Tensor:
        """(B, d) identity vectors -> (B, 77, hidden) tokens."""
        if identity.ndim != 2 or identity.shape[1] > self.hidden_size:
            raise ValueError(f"identity vectors must be (batch, d <= {self.hidden_size}), got {tuple(identity.shape)}")
        if not torch.isfinite(identity).all() or (identity.norm(dim=1) == 0).any():
            raise ValueError("identity vectors must be finite and non-zero")
        vector = F.pad(F.normalize(identity.float(), dim=1), (0, self.hidden_size - identity.shape[1]))
        ids = self.prompt_ids.to(self.device).expand(identity.shape[0], -1)  # the pipeline moves the encoder alone
        embedding = self.text_encoder.get_input_embeddings()

        def inject(module, inputs, output):
            return torch.where((ids == self.placeholder_id)[..., None], vector.to(output.dtype)[:, None], output)

        handle = embedding.register_forward_hook(inject)
        try:
            return self.text_encoder(input_ids=ids).last_hidden_state
        finally:
            handle.remove()

    @torch.no_grad()
    def empty(self, batch: int) -> torch.Tensor:
        """The unconditional tokens: the encoder on the empty prompt."""
        return self.text_encoder(input_ids=self.empty_ids.to(self.device).expand(batch, -1)).last_hidden_state


def write_local_tokenizer(folder: str | Path) -> Path:
    """A CLIP BPE tokenizer whose vocabulary is the characters a-z plus the identity prompt's words.

    Built locally (no hub) for random-weight encoders (mini; timing the paper architecture): vocab.json + merges.txt
    that merge each prompt word
    letter by letter, so CLIPTokenizer encodes the prompt to whole-word tokens like SD1.5's does.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["<|startoftext|>", "<|endoftext|>"]
    tokens += [chr(c) for c in range(ord("a"), ord("z") + 1)] + [chr(c) + "</w>" for c in range(ord("a"), ord("z") + 1)]
    merges = []
    for word in ID_PROMPT.split():
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            merges.append(f"{pieces[0]} {pieces[1]}")
            pieces = [pieces[0] + pieces[1]] + pieces[2:]
            if pieces[0] not in tokens:
                tokens.append(pieces[0])
    merges = list(dict.fromkeys(merges))
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    return folder


def build_random_identity_encoder(config: ModelConfig, tokenizer_folder: str | Path, seed: int = 0) -> IdentityEncoder:
    """A randomly initialised CLIP text encoder of the preset's size + the locally built tokenizer (no weights)."""
    tokenizer = CLIPTokenizer.from_pretrained(write_local_tokenizer(tokenizer_folder), model_max_length=77,
                                              local_files_only=True)
    text_config = CLIPTextConfig(**{**config.text_encoder, "vocab_size": len(tokenizer)},
                                 bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                                 pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    return IdentityEncoder(CLIPTextModel(text_config).eval(), tokenizer)


def audio_windows(features: torch.Tensor, start: int, count: int, radius: int) -> torch.Tensor:
    """Frames [start, start+count) of per-frame features (B, T, layers, dim), each with its +-radius
    neighbours (edge frames repeated) -> (B, count, 2*radius+1, layers*dim)."""
    if features.ndim != 4:
        raise ValueError(f"audio features must be (batch, frames, layers, dim), got {tuple(features.shape)}")
    total = features.shape[1]
    if start < 0 or start + count > total:
        raise ValueError(f"audio features cover {total} frames, frames {start}..{start + count - 1} requested")
    index = torch.arange(start, start + count)[:, None] + torch.arange(-radius, radius + 1)[None]
    window = features[:, index.clamp(0, total - 1).to(features.device)]
    return window.flatten(3)


class AudioProjection(nn.Module):
    """Hallo-style: a +-radius window of per-frame audio features -> MLP -> tokens -> LayerNorm."""

    def __init__(self, in_dim: int, radius: int, hidden: int, tokens: int, out_dim: int):
        super().__init__()
        self.in_dim, self.window, self.tokens, self.out_dim = in_dim, 2 * radius + 1, tokens, out_dim
        self.mlp = nn.Sequential(nn.Linear(self.window * in_dim, hidden), nn.SiLU(), nn.Linear(hidden, tokens * out_dim))
        self.norm = nn.LayerNorm(out_dim)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """(B, F, window, in_dim) -> (B*F, tokens, out_dim)."""
        if windows.shape[-2:] != (self.window, self.in_dim):
            raise ValueError(f"audio windows must end in (window={self.window}, features={self.in_dim}), "
                             f"got {tuple(windows.shape)}")
        x = self.mlp(windows.flatten(2).to(self.mlp[0].weight.dtype))
        return self.norm(x.reshape(-1, self.tokens, self.out_dim))


def validate_camera_labels(labels: torch.Tensor) -> None:
    """25-d labels (flattened 4x4 cam-to-world + 3x3 normalised K) must be finite with invertible matrices."""
    if labels.shape[-1] != 25:
        raise ValueError(f"camera labels must have 25 values (4x4 cam-to-world + 3x3 K), got {labels.shape[-1]}")
    if not torch.isfinite(labels).all():
        raise ValueError("camera labels contain NaN or infinite values")
    rotation = labels[..., :16].reshape(-1, 4, 4)[:, :3, :3].double()
    intrinsics = labels[..., 16:].reshape(-1, 3, 3).double()
    for name, matrices in (("cam-to-world rotation", rotation), ("intrinsics", intrinsics)):
        if (torch.linalg.det(matrices).abs() < 1e-6).any():
            raise ValueError(f"camera labels contain a singular {name} matrix")


class CameraProjection(nn.Module):
    """The 25-d camera label -> two-layer MLP -> tokens (paper Sec. 3.1, camera encoder)."""

    def __init__(self, in_dim: int, hidden: int, tokens: int, out_dim: int):
        super().__init__()
        self.tokens, self.out_dim = tokens, out_dim
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden), nn.SiLU(), nn.Linear(hidden, tokens * out_dim))
        self.norm = nn.LayerNorm(out_dim)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        """(B, F, 25) -> (B*F, tokens, out_dim)."""
        validate_camera_labels(labels)
        x = self.mlp(labels.to(self.mlp[0].weight.dtype))
        return self.norm(x.reshape(-1, self.tokens, self.out_dim))


def load_identity_encoder(encoder_folder: str | Path, tokenizer_folder: str | Path) -> IdentityEncoder:
    """Arc2Face's fine-tuned CLIP text encoder (``encoder/``) + the SD1.5 tokenizer, from local folders."""
    from benchmarks.preprocess.weights import require

    encoder_folder, tokenizer_folder = Path(encoder_folder), Path(tokenizer_folder)
    require(encoder_folder / "config.json", "Arc2Face identity encoder config", "huggingface.co/FoivosPar/Arc2Face (encoder/)")
    if not any((encoder_folder / name).exists() for name in ("model.safetensors", "pytorch_model.bin")):
        require(encoder_folder / "model.safetensors", "Arc2Face identity encoder weights",
                "huggingface.co/FoivosPar/Arc2Face (encoder/)")
    for name in ("vocab.json", "merges.txt"):
        require(tokenizer_folder / name, f"SD1.5 tokenizer {name}",
                "huggingface.co/stable-diffusion-v1-5/stable-diffusion-v1-5 (tokenizer/)")
    tokenizer = CLIPTokenizer.from_pretrained(tokenizer_folder, local_files_only=True)
    encoder = CLIPTextModel.from_pretrained(encoder_folder, local_files_only=True, use_safetensors=None).eval()
    return IdentityEncoder(encoder, tokenizer)
