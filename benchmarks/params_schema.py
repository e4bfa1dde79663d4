"""What params.yaml may hold: every key, its type and its range, checked before a command does any work.

The schema validates only; commands go on reading the plain dict. Every model refuses keys it does not name, so a
misspelt key is an error instead of a silent default. Choices that a registry elsewhere defines (metric names, FVD
variants, encoders) are spelt out here so that checking params imports no network code;
tests/test_params_schema.py holds them equal to those registries.
"""
from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

PosInt = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]
PosFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
PathStr = Annotated[str, Field(min_length=1)]
Commit = Annotated[str, Field(pattern=r"^[0-9a-f]{40}$")]
Device = Annotated[str, Field(pattern=r"^(cpu|cuda(:\d+)?|mps)$")]

Benchmark = Literal["th1kh", "hallo3", "nersemble"]
TrainingSet = Literal["vfhq", "celebvhq", "hdtf"]
Metric = Literal["psnr", "ssim", "lpips", "fid", "fvd", "lse", "pose_std", "csim"]
Init = Literal["random", "file"]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _unique(values: list) -> list:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {', '.join(repeated)}")
    return values


class Cpu(Section):
    kernels: Literal["avx2"] | None
    threads: PosInt | None


class MiniTalkViews(Section):
    n_identities: PosInt
    seconds: PosFloat


class MiniTalkTrajectories(MiniTalkViews):
    per_identity: PosInt
    azimuth_deg: Annotated[float, Field(ge=0, le=360)]
    elevation_deg: Annotated[float, Field(ge=0, le=180)]
    distance: PosFloat


class MiniTalk(Section):
    out: PathStr
    seed: Count
    n_identities: PosInt
    clips_per_identity: PosInt
    clip_seconds: PosFloat
    fps: PosInt
    sample_rate: PosInt
    frame_size: Annotated[int, Field(ge=64)]
    synthesiser: Literal["auto", "espeak-ng", "formant"]
    workers: PosInt
    multiview: MiniTalkViews
    trajectories: MiniTalkTrajectories


class Root(Section):
    root: PathStr


class Th1khRoot(Root):
    split: Literal["train", "val"]


class TalkingSets(Section):
    vfhq: PathStr
    celebvhq: PathStr
    hdtf: PathStr


class Datasets(Section):
    """The paper's datasets; any other entry is a benchmark of the user's own, read through its manifest."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, Root]
    th1kh: Th1khRoot
    hallo3: Root
    nersemble: Root
    talking: TalkingSets
    multiview: Root


class ClipCounts(Section):
    th1kh: PosInt
    hallo3: PosInt
    nersemble: PosInt


class Manifests(Section):
    dir: PathStr
    seed: Count
    n_clips: ClipCounts


class Evaluation(Section):
    benchmarks: Annotated[list[Benchmark], Field(min_length=1)]
    audio_benchmarks: list[Literal["th1kh", "hallo3"]]

    _unique_lists = field_validator("benchmarks", "audio_benchmarks")(_unique)


class Detector(Section):
    backend: Literal["dlib_hog", "dlib_cnn"]
    upsample: Count
    retry_upsample: Count
    max_side: PosInt
    min_score: float
    fallback: Literal["mtcnn"] | None


class GroundingDino(Section):
    weights: PathStr
    prompt: Annotated[str, Field(min_length=1)]
    box_threshold: Probability
    text_threshold: Probability
    min_face_overlap: Probability


class HandFilter(Section):
    backend: Literal["grounding_dino"] | None
    required: bool
    grounding_dino: GroundingDino


class LogMelMfcc(Section):
    dim: PosInt
    n_mfcc: PosInt


class Weighted(Section):
    weights: PathStr


class AudioFeatures(Section):
    backend: Literal["logmel_mfcc", "wav2vec2"]
    logmel_mfcc: LogMelMfcc
    wav2vec2: Weighted


class Empty(Section):
    pass


class IdentityEncoder(Section):
    backend: Literal["dlib_resnet", "arcface_onnx"]
    frames: PosInt
    dlib_resnet: Empty
    arcface_onnx: Weighted


class Prepare(Section):
    out: PathStr
    resolution: Annotated[int, Field(ge=32)]
    fps: PosInt
    sample_rate: PosInt
    weights_dir: PathStr
    dlib_models_dir: PathStr | None
    detector: Detector
    min_audio_rms: NonNegFloat
    min_audio_fraction: Probability
    min_kept_fraction: Probability
    smoothing_sigma: NonNegFloat
    hand_filter: HandFilter
    audio_features: AudioFeatures
    identity: IdentityEncoder


# baselines: each program's options are the keys its wrapper reads (baselines/<name>.py)
class Program(Section):
    repo: PathStr | None
    commit: Commit | None
    python: PathStr | None = None
    conda_env: Annotated[str, Field(min_length=1)] | None = None
    env: dict[str, str] = {}
    checkpoints: dict[str, PathStr | None] = {}
    sha256: dict[str, Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = {}
    timeout_s: PosFloat | None = None


Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Scale = Annotated[float, Field(ge=0)]


class AniTalkerOptions(Section):
    infer_type: Literal["mfcc_full_control", "mfcc_pose_only", "hubert_pose_only", "hubert_audio_only",
                        "hubert_full_control"]
    seed: Seed


class PromptOptions(Section):
    config: PathStr
    width: PosInt
    height: PosInt
    fps: PosInt
    seed: Seed


class EchoMimicOptions(PromptOptions):
    cfg: Scale
    steps: PosInt


class VExpressOptions(Section):
    retarget_strategy: Literal["fix_face", "no_retarget", "offset_retarget", "naive_retarget"]
    fps: PosInt
    seed: Seed


class Hallo3Options(Section):
    base: Annotated[list[PathStr], Field(min_length=1)]
    seed: Annotated[int, Field(ge=1, le=2**32 - 1)]  # sat asserts seed > 0
    prompt: Annotated[str, Field(min_length=1)]


class FloatOptions(Section):
    seed: Seed
    a_cfg_scale: Scale
    e_cfg_scale: Scale


class GohaOptions(Section):
    config: PathStr
    eg3d: PathStr | None
    modnet: PathStr | None
    modnet_checkpoint: PathStr
    preprocess_python: PathStr | None


class Portrait4DOptions(Section):
    cwd: PathStr
    use_simplified: Literal[0, 1]
    preprocess_cwd: PathStr
    preprocess: Annotated[list[Annotated[list[str], Field(min_length=1)]], Field(min_length=1)]


class Real3DPortraitOptions(Section):
    out_mode: Literal["final"]  # the wrapper scores the generated panel alone (docs/programs/real3dportrait.md)
    drv_pose: Annotated[str, Field(min_length=1)]  # "static", or a video whose head pose drives the portrait
    seed: Seed
    extra_args: list[str]


class AniTalker(Program):
    options: AniTalkerOptions


class EchoMimic(Program):
    options: EchoMimicOptions


class VExpress(Program):
    options: VExpressOptions


class AniPortrait(Program):
    options: PromptOptions


class Hallo3(Program):
    options: Hallo3Options


class Float(Program):
    options: FloatOptions


class Goha(Program):
    options: GohaOptions


class Portrait4D(Program):
    options: Portrait4DOptions


class Real3DPortrait(Program):
    options: Real3DPortraitOptions


class StarCaster(Section):
    model: PathStr
    id_model: PathStr
    novel_view_model: PathStr
    novel_view_benchmarks: list[Benchmark]
    ablations: dict[str, PathStr]
    steps: PosInt
    guidance: Annotated[float, Field(ge=1)]
    seed: Seed
    max_frames: PosInt | None
    device: Device
    dtype: Literal["float32", "bfloat16", "float16"]


class Baselines(Section):
    timeout_s: PosFloat
    anitalker: AniTalker
    echomimic: EchoMimic
    vexpress: VExpress
    aniportrait: AniPortrait
    hallo3: Hallo3
    float_: Float = Field(alias="float")
    goha: Goha
    portrait4d: Portrait4D
    real3dportrait: Real3DPortrait
    starcaster: StarCaster


class LipReader(Section):
    encoder: Literal["minitalk", "auto_avsr"]
    file: PathStr | None
    out: PathStr
    crop_size: PosInt
    mouth_scale: PosFloat
    width: PosInt
    benchmarks: Annotated[list[TrainingSet], Field(min_length=1)]
    held_out: list[Literal["th1kh", "hallo3"]]
    window: PosInt
    batch_size: PosInt
    steps: PosInt
    lr: PosFloat
    seed: Seed
    threads: PosInt


class TrainSettings(Section):
    """The values one training run reads: ``train``'s common keys with its stage's and variant's merged over them."""

    model_preset: Literal["mini", "paper"]
    weights_dir: PathStr | None
    prepared_dir: PathStr
    seed: Seed
    segment_frames: PosInt
    context_frames: Count
    batch_size: PosInt
    gradient_accumulation_steps: PosInt
    lr: PosFloat
    weight_decay: NonNegFloat
    lr_scheduler: Literal["linear", "cosine", "cosine_with_restarts", "polynomial", "constant",
                          "constant_with_warmup", "piecewise_constant"]  # diffusers.optimization.SchedulerType
    lr_warmup_steps: Count
    max_grad_norm: PosFloat | None
    mixed_precision: Literal["no", "fp16", "bf16"]
    gradient_checkpointing: bool
    num_workers: Count
    checkpoint_every: PosInt
    keep_checkpoints: PosInt
    probe_segments: Count  # 0: no probe
    probe_every: PosInt | None
    identity_dropout: Probability
    audio_dropout: Probability
    lipreader: LipReader
    out: PathStr
    max_steps: Count


class Stage0Settings(TrainSettings):
    benchmarks: Annotated[list[TrainingSet], Field(min_length=1)]


class Stage1Settings(Stage0Settings):
    init_from: PathStr | None  # None: the stage starts from random weights
    lipread_start_step: Count | None
    lipread_weight: NonNegFloat


class Stage3Settings(TrainSettings):
    init_from: PathStr | None
    segments: PosInt
    sampling_steps: PosInt
    guidance_scale: Annotated[float, Field(ge=1)]
    teacher_forcing: bool
    reference_dropout: Probability


class Stage2Settings(Stage3Settings):
    benchmarks: Annotated[list[TrainingSet], Field(min_length=1)]


STAGE_SETTINGS: dict[int, type[TrainSettings]] = {0: Stage0Settings, 1: Stage1Settings, 2: Stage2Settings,
                                                  3: Stage3Settings}


class Variant(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)  # the stage's own keys, checked merged (check_training)
    stage: Literal[0, 1, 2, 3]


class Train(BaseModel):
    # common keys and stage0..3, checked merged per run (check_training); here only the shape
    model_config = ConfigDict(extra="allow", strict=True)
    stage0: dict[str, Any]
    stage1: dict[str, Any]
    stage2: dict[str, Any]
    stage3: dict[str, Any]
    variants: dict[str, Variant] = {}


class Tolerance(Section):
    abs: NonNegFloat = 0.0
    rel: NonNegFloat = 0.0


class PlatformTolerances(Section):
    tolerances: dict[str, Tolerance]


class Drift(Section):
    reference_dir: PathStr
    tolerances: dict[str, Tolerance]
    platform: PlatformTolerances


class Bootstrap(Section):
    n_resamples: Count
    seed: Seed
    distribution_resamples: dict[Literal["fid", "fvd"], Count]


class DataRange(Section):
    data_range: PosFloat


class Ssim(DataRange):
    variant: Literal["skimage", "wang"]


class Lpips(Section):
    net: Literal["alex", "vgg", "squeeze"]
    init: Init


class Fid(Section):
    init: Init
    frame_stride: PosInt
    ddof: Literal[0, 1]


class Fvd(Section):
    variant: Literal["disco", "stylegan_v"]
    init: Init
    clip_mode: Literal["segments_mean", "segments", "first"]
    ddof: Literal[0, 1]


class SyncNetTraining(Section):
    datasets: Annotated[list[TrainingSet], Field(min_length=1)]
    lip_stride: PosInt
    components: PosInt
    pcs: PosInt
    shrinkage: Probability
    calibration_windows: PosInt
    seed: Seed
    threads: PosInt
    max_clips: PosInt | None


class Lse(Section):
    init: Literal["random", "file", "checkpoint"]
    checkpoint: PathStr
    vshift: PosInt
    train: SyncNetTraining


class PoseStd(Section):
    backend: Literal["landmarks", "deca"]
    frame_stride: PosInt
    min_face_fraction: Probability


class Csim(Section):
    encoder: Literal["dlib", "arcface"]
    frame_stride: PosInt
    min_face_fraction: Probability


class FrameSize(Section):
    min_side: PosInt
    max_aspect_change: NonNegFloat


class Metrics(Section):
    out_dir: PathStr
    cache_dir: PathStr
    weights_dir: PathStr
    device: Device
    threads: PosInt | None
    seed: Seed
    fps: PosFloat
    sample_rate: PosInt
    max_frames: PosInt | None
    frame_size: FrameSize
    enabled: Annotated[list[Metric], Field(min_length=1)]
    per_benchmark: dict[Benchmark, list[Metric]]
    bootstrap: Bootstrap
    psnr: DataRange
    ssim: Ssim
    lpips: Lpips
    fid: Fid
    fvd: Fvd
    lse: Lse
    pose_std: PoseStd
    csim: Csim

    _unique_enabled = field_validator("enabled")(_unique)


class Params(Section):
    profile: Literal["mini", "ci", "paper"]
    seed: Seed
    cpu: Cpu
    minitalk: MiniTalk
    datasets: Datasets
    manifests: Manifests
    evaluation: Evaluation
    prepare: Prepare
    baselines: Baselines
    train: Train
    metrics: Metrics
    drift: Drift


class BadParams(ValueError):
    """Params that fail the schema; ``problems`` holds one line per key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def check(params: Any) -> None:
    """Raise BadParams listing every key that is unknown, of the wrong type or out of range."""
    problems: list[str] = []
    try:
        Params.model_validate(params)
    except ValidationError as exc:
        problems += [_line(error, Params, ()) for error in exc.errors()]
    if isinstance(params, dict) and not any(p.startswith(("train:", "train.")) for p in problems):
        problems += check_training(params["train"])
    if problems:
        raise BadParams(problems)


def training_runs(train: dict) -> dict[tuple[int, str | None], list[tuple[str, dict]]]:
    """Each training run (stage, variant) with the layers its values come from, later layers winning: ``train``'s
    common keys, ``train.stage{S}``, ``train.variants.{V}`` (model/training/cli.py stage_settings merges them the
    same way; tests/test_params_schema.py holds the two equal)."""
    variants = train.get("variants") or {}
    common = {k: v for k, v in train.items() if not k.startswith("stage") and k != "variants"}
    runs = {}
    for stage, variant in [(s, None) for s in STAGE_SETTINGS] + [(v["stage"], n) for n, v in variants.items()]:
        layers = [("", common), (f"stage{stage}.", train.get(f"stage{stage}") or {})]
        if variant is not None:
            layers.append((f"variants.{variant}.", {k: v for k, v in variants[variant].items() if k != "stage"}))
        runs[stage, variant] = layers
    return runs


def check_training(train: dict) -> list[str]:
    """Each training run's merged values, each problem at the key it came from."""
    stages = [f"stage{s}" for s in STAGE_SETTINGS]
    problems = [f"train.{key}: unknown key (the stages are {', '.join(stages)})"
                for key in train if key.startswith("stage") and key not in stages]
    for (stage, _variant), layers in training_runs(train).items():
        merged = {k: v for _, layer in layers for k, v in layer.items()}
        try:
            STAGE_SETTINGS[stage].model_validate(merged)
        except ValidationError as exc:
            for error in exc.errors():
                key = error["loc"][0] if error["loc"] else ""
                prefix = next((p for p, layer in reversed(layers) if key in layer), "")
                problems.append(_line(error, STAGE_SETTINGS[stage], ("train",), prefix))
    return list(dict.fromkeys(problems))


def _line(error: dict, model: type[BaseModel], base: tuple, prefix: str = "") -> str:
    loc = tuple(str(part) for part in error["loc"])
    where = ".".join(base) + ("." if base else "") + prefix + ".".join(loc)
    if error["type"] == "extra_forbidden":
        allowed = _keys_at(model, loc[:-1])
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{where}: unknown key ({hint}allowed: {', '.join(allowed)})"
    if error["type"] == "missing":
        return f"{where}: missing"
    return f"{where}: {error['msg']} (got {error.get('input')!r})"


def _keys_at(model: Any, loc: tuple[str, ...]) -> list[str]:
    """The keys the schema allows at ``loc`` inside ``model``."""
    for part in loc:
        model = _section(model, part)
        if model is None:
            return []
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [field.alias or name for name, field in model.model_fields.items()]


def _section(annotation: Any, key: str) -> Any:
    """The schema type one key further down (through models, Optional and dict values)."""
    for candidate in _variants(annotation):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            fields = {field.alias or name: field for name, field in candidate.model_fields.items()}
            if key in fields:
                return fields[key].annotation
            extra = get_type_hints(candidate).get("__pydantic_extra__")
            if extra is not None:
                return get_args(extra)[1]
        if get_origin(candidate) is dict:
            return get_args(candidate)[1]
    return None


def _variants(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _variants(get_args(annotation)[0])
    if origin is Union or type(annotation).__name__ == "UnionType":
        return [v for arg in get_args(annotation) for v in _variants(arg)]
    return [annotation]
