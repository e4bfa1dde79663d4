"""Fake baseline programs that behave like the real ones at their pinned commits (docs/programs/<name>.md): the same
entry points, working directories, option parsers with the same defaults, input layouts, output names and sizes, fixed
paths read relative to the working directory, seeding, and failure modes (exit 0 after an error where the program
does that). Each cites the lines it imitates. Tests write them into a fake clone under tmp_path; the wrappers run them
with sys.executable.

Every fake paints the generated image GENERATED_VALUE and any other panel OTHER_VALUE, so a test can tell whether the
right panel was cropped. A clip whose name contains "crash" makes the program fail the way it fails on a bad input,
"hang" makes it hang, "empty" makes it finish without an output.
"""
from __future__ import annotations

import stat
from pathlib import Path

from baselines import registry

GENERATED_VALUE = 200
OTHER_VALUE = 40

HEADER = r'''
import argparse, datetime, glob, json, math, os, shutil, sys, time
from fractions import Fraction
import av, numpy as np, soundfile, yaml

GENERATED, OTHER = {GENERATED_VALUE}, {OTHER_VALUE}

def fail(message):
    """An uncaught Python exception: a traceback and exit status 1."""
    print("Traceback (most recent call last):\n  File \"fake\"\n" + message, file=sys.stderr)
    sys.exit(1)

def quit_quietly(message):
    """A program that prints its error and calls exit(0)."""
    print(message)
    sys.exit(0)

def need_file(path, what):
    if not os.path.isfile(path):
        fail(f"FileNotFoundError: [Errno 2] No such file or directory: {path!r} ({what})")
    return path

def audio_seconds(path):
    need_file(path, "audio")
    info = soundfile.info(path)  # the programs resample any rate with librosa or ffmpeg
    return info.frames / info.samplerate

def behave(name, crash):
    """Test hooks driven by the clip's name; ``crash`` is how this program fails."""
    if "crash" in name:
        crash("the input cannot be processed (crashing as asked)")
    if "hang" in name:
        time.sleep(60)
    return "empty" not in name

def frame(w, h, panel=None, noise=0):
    """``noise``: the sampler's unseeded draw, shifting every pixel (0 when the program seeds it)."""
    image = np.full((h, w, 3), (OTHER if panel else GENERATED) + noise, np.uint8)
    if panel:
        x0, y0, x1, y1 = panel
        image[y0:y1, x0:x1] = GENERATED
    return image

def unseeded_noise():
    return int(np.random.default_rng().integers(-3, 4))

def write_video(path, n, w, h, fps, panel=None, noise=0, audio=None):
    """``audio``: a sound file muxed as AAC, cut to the video (the programs' ffmpeg/moviepy -shortest)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with av.open(path, "w") as c:
        s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        a = c.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i in range(n):
            for p in s.encode(av.VideoFrame.from_ndarray(frame(w, h, panel, noise), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
        if a is not None:
            samples, rate = soundfile.read(audio, dtype="float32", always_2d=True)
            samples = samples.mean(axis=1)[: int(n / fps * rate)]
            af = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
            af.sample_rate = rate
            for p in a.encode(af):
                c.mux(p)
            for p in a.encode():
                c.mux(p)

def stem(path):
    return os.path.splitext(os.path.basename(path))[0]
'''.replace("{GENERATED_VALUE}", str(GENERATED_VALUE)).replace("{OTHER_VALUE}", str(OTHER_VALUE))

ANITALKER = r'''
# AniTalker at 738c5625, code/demo.py: every option has a default (:268-289); errors are printed and end in exit(0)
# (:101-110, :142-148); a HuBERT feature file at --test_hubert_path wins over the audio (:140, :177-181), else the
# features come from ckpts/chinese-hubert-large relative to the working directory (:145-148); frames =
# int(T_hubert / 2) (:181-184); PNG frames in {result_path}/frames, then {image}-{audio}.mp4 at 256 px, 25 fps, with
# the audio muxed (:56-60, :28-35, :244-246); seeded by --seed (experiment.py:23-24).
p = argparse.ArgumentParser()
p.add_argument("--infer_type", type=str, default="mfcc_pose_only")
p.add_argument("--test_image_path", type=str, default="./test_demos/portraits/monalisa.jpg")
p.add_argument("--test_audio_path", type=str, default="./test_demos/audios/english_female.wav")
p.add_argument("--test_hubert_path", type=str, default="./test_demos/audios_hubert/english_female.npy")
p.add_argument("--result_path", type=str, default="./results/")
p.add_argument("--stage1_checkpoint_path", type=str, default="./ckpts/stage1.ckpt")
p.add_argument("--stage2_checkpoint_path", type=str, default="./ckpts/pose_only.ckpt")
p.add_argument("--seed", type=int, default=0)
p.add_argument("--control_flag", action="store_true")
p.add_argument("--step_T", type=int, default=50)
p.add_argument("--face_sr", action="store_true")
a = p.parse_args()
if a.infer_type not in ("mfcc_full_control", "mfcc_pose_only", "hubert_pose_only", "hubert_audio_only",
                        "hubert_full_control"):
    quit_quietly("Unsupported infer type")
if not os.path.exists(a.test_image_path):
    quit_quietly(f"{a.test_image_path} does not exist!")
if not os.path.exists(a.test_audio_path):
    quit_quietly(f"{a.test_audio_path} does not exist!")
need_file(a.stage1_checkpoint_path, "stage1"); need_file(a.stage2_checkpoint_path, "stage2")
if os.path.exists(a.test_hubert_path):
    steps = len(np.load(a.test_hubert_path))
else:
    if not os.path.exists("ckpts/chinese-hubert-large"):
        quit_quietly("Please download the hubert weight into the ckpts path first.")
    samples = int(round(audio_seconds(a.test_audio_path) * 16000))
    steps = (samples - 400) // 320 + 1 + 1
if behave(stem(a.test_image_path), quit_quietly):
    frames = os.path.join(a.result_path, "frames")
    os.makedirs(frames, exist_ok=True)
    write_video(os.path.join(a.result_path, f"{stem(a.test_image_path)}-{stem(a.test_audio_path)}.mp4"),
                steps // 2, 256, 256, 25, audio=a.test_audio_path)
    shutil.rmtree(frames)
'''

ECHOMIMIC = r'''
# EchoMimic at 76cdab1a, infer_audio2vid.py: every option has a default (:51-72); the config's weight paths are
# relative to the working directory (animation.yaml:2-13); seed <= -1 draws one (:187-190); frames =
# min(L, audio frames + 2) (pipeline_echo_mimic.py:404-406); output/<date>/<HHMM>--seed_<seed>-<W>x<H>/ holds the
# silent draft and the _withaudio copy (:180-181, :244-253); exceptions end the run with exit status 1.
p = argparse.ArgumentParser()
p.add_argument("--config", type=str, default="./configs/prompts/animation.yaml")
p.add_argument("-W", type=int, default=512)
p.add_argument("-H", type=int, default=512)
p.add_argument("-L", type=int, default=1200)
p.add_argument("--seed", type=int, default=420)
p.add_argument("--facemusk_dilation_ratio", type=float, default=0.1)
p.add_argument("--facecrop_dilation_ratio", type=float, default=0.5)
p.add_argument("--context_frames", type=int, default=12)
p.add_argument("--context_overlap", type=int, default=3)
p.add_argument("--cfg", type=float, default=2.5)
p.add_argument("--steps", type=int, default=30)
p.add_argument("--sample_rate", type=int, default=16000)
p.add_argument("--fps", type=int, default=24)
p.add_argument("--device", type=str, default="cuda")
a = p.parse_args()
config = yaml.safe_load(open(need_file(a.config, "config")))
for key in ("pretrained_base_model_path", "denoising_unet_path", "motion_module_path", "inference_config"):
    need_file(config[key] if key != "pretrained_base_model_path" else os.path.join(config[key], "unet/config.json"), key)
now = datetime.datetime.now()
folder = os.path.join("output", now.strftime("%Y%m%d"), now.strftime("%H%M") + f"--seed_{a.seed}-{a.W}x{a.H}")
for image, audios in config["test_cases"].items():
    need_file(image, "image")
    for audio in audios:
        seconds = audio_seconds(audio)
        if not behave(stem(image), fail):
            continue
        name = f"{stem(image)}_{stem(audio)}_{a.H}x{a.W}_{int(a.cfg)}_{now.strftime('%H%M')}"
        n = min(a.L, int(round(a.fps * seconds)) + 2)
        noise = 0 if a.seed > -1 else unseeded_noise()
        write_video(os.path.join(folder, name + ".mp4"), n, a.W, a.H, a.fps, noise=noise)
        write_video(os.path.join(folder, name + "_withaudio.mp4"), n, a.W, a.H, a.fps, noise=noise, audio=audio)
'''

VEXPRESS = r'''
# V-Express at 6814f7db, inference.py: every option has a default, the weights among them (:27-74); the run is
# seeded with --seed (:64, :216); 24 + 20k frames, the most whole 20-frame windows after 24 that fit
# int(duration * fps), spread over the audio's duration (:255-264): the rate depends on the clip, and under 24 frames
# the program crashes (IndexError); the audio is muxed by ffmpeg (pipelines/utils.py:84-86) from a temporary video.
p = argparse.ArgumentParser()
p.add_argument("--unet_config_path", type=str, default="./model_ckpts/stable-diffusion-v1-5/unet/config.json")
p.add_argument("--denoising_unet_path", type=str, default="./model_ckpts/v-express/denoising_unet.bin")
p.add_argument("--reference_image_path", type=str, default="./test_samples/emo/talk_emotion/ref.jpg")
p.add_argument("--audio_path", type=str, default="./test_samples/emo/talk_emotion/aud.mp3")
p.add_argument("--kps_path", type=str, default="./test_samples/emo/talk_emotion/kps.pth")
p.add_argument("--output_path", type=str, default="./output/emo/talk_emotion.mp4")
p.add_argument("--retarget_strategy", type=str, default="fix_face")
p.add_argument("--fps", type=float, default=30.0)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--num_inference_steps", type=int, default=25)
p.add_argument("--guidance_scale", type=float, default=3.5)
a = p.parse_args()
need_file(a.unet_config_path, "unet config"); need_file(a.denoising_unet_path, "denoising unet")
need_file(a.reference_image_path, "image")
if a.kps_path != "":
    need_file(a.kps_path, "kps sequence")
elif a.retarget_strategy != "fix_face":
    fail("TypeError: 'NoneType' object is not subscriptable (no kps sequence to retarget)")
seconds = audio_seconds(a.audio_path)
length = int(seconds * a.fps)
if length < 24:
    fail("IndexError: list index out of range (audio shorter than one 24-frame window)")
video_length = 24 + 20 * ((length - 24) // 20)
# pipelines/utils.py:74-87: the temporary video replaces the stem everywhere in the path; cv2.VideoWriter fails
# silently in a folder that does not exist, so does the ffmpeg mux, and os.remove(temp) raises
temp = a.output_path.replace(stem(a.output_path), stem(a.output_path) + "-temp")
if not os.path.isdir(os.path.dirname(temp) or "."):
    fail(f"FileNotFoundError: [Errno 2] No such file or directory: {temp!r}")
if behave(stem(a.reference_image_path), fail):
    write_video(a.output_path, video_length, 512, 512, video_length / seconds, audio=a.audio_path)
'''

ANIPORTRAIT = r'''
# AniPortrait at 7f6593fd, scripts/audio2vid.py (run as a module from the clone): every option has a default
# (:38-52); --seed seeds torch only and the pose model's identity is random.randint(0, 99) from an unseeded `random`
# (:102, :172), so runs differ; audio of 5 s or less has one 80000-sample chunk and audio_chunks[-2] raises
# IndexError (:181-184), and a 30 fps frame count that is a multiple of 150 leaves an empty last chunk
# (pose_util.py:38); the frames come at 30 fps from the audio (audio_util.py:24); a 3-panel grid is written as
# a silent _noaudio draft, muxed with ffmpeg, and the draft deleted (:253-265).
p = argparse.ArgumentParser()
p.add_argument("--config", type=str, default="./configs/prompts/animation_audio.yaml")
p.add_argument("-W", type=int, default=512)
p.add_argument("-H", type=int, default=512)
p.add_argument("-L", type=int)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--cfg", type=float, default=3.5)
p.add_argument("--steps", type=int, default=25)
p.add_argument("--fps", type=int, default=30)
p.add_argument("-acc", "--accelerate", action="store_true")
p.add_argument("--fi_step", type=int, default=3)
a = p.parse_args()
config = yaml.safe_load(open(need_file(a.config, "config")))
need_file(config["denoising_unet_path"], "denoising unet"); need_file("./pretrained_model/audio2pose.pt", "audio2pose")
now = datetime.datetime.now()
folder = os.path.join("output", now.strftime("%Y%m%d"), now.strftime("%H%M") + f"--seed_{a.seed}-{a.W}x{a.H}")
for image, audios in config["test_cases"].items():
    need_file(image, "image")
    for audio in audios:
        seconds = audio_seconds(audio)
        samples = soundfile.info(audio).frames
        if samples <= 80000:
            fail("IndexError: list index out of range (audio2vid.py:184, audio of 5 s or less)")
        if math.ceil(samples / 16000 * 30) % 150 == 0:
            fail("IndexError: index out of range (pose_util.py:38, an empty last chunk)")
        if not behave(stem(image), fail):
            continue
        name = f"{stem(image)}_{stem(audio)}_{a.H}x{a.W}_{int(a.cfg)}_{now.strftime('%H%M')}"
        n = math.ceil(seconds * 30)
        draft = os.path.join(folder, name + "_noaudio.mp4")
        import random
        noise = random.randint(0, 99) % 13 - 6  # the pose identity from the unseeded `random` (:172), as a shade
        write_video(draft, n, 3 * (a.W + 2) + 2, a.H + 4, a.fps, panel=(2 * a.W + 6, 2, 3 * a.W + 6, a.H + 2), noise=noise)
        write_video(os.path.join(folder, name + ".mp4"), n, 3 * (a.W + 2) + 2, a.H + 4, a.fps,
                    panel=(2 * a.W + 6, 2, 3 * a.W + 6, a.H + 2), noise=noise, audio=audio)
        os.remove(draft)
'''

# Hallo3 at e342dcec, scripts/inference_long_batch.sh: $RANDOM as the seed, eval of unquoted paths, exit 0.
HALLO3_SCRIPT = '''#! /bin/bash
environs="WORLD_SIZE=1 RANK=0 LOCAL_RANK=0 LOCAL_WORLD_SIZE=1"
run_cmd="$environs python hallo3/sample_video.py --base ./configs/cogvideox_5b_i2v_s2.yaml ./configs/inference.yaml --seed $RANDOM --input-file $1 --output-dir $2"
eval ${run_cmd}
echo "DONE"
'''
HALLO3_ARGUMENTS = r'''
# hallo3/arguments.py at e342dcec (:15-75, an excerpt): its own options, and sat's training options (--seed among them)
import argparse
from sat.arguments import add_training_args
def get_args(args_list=None):
    parser = argparse.ArgumentParser(description="sat")
    group = parser.add_argument_group("model", "model configuration")
    group.add_argument("--base", type=str, nargs="*", help="config for input and saving")
    group = parser.add_argument_group("sampling", "Sampling Configurations")
    group.add_argument("--output-dir", type=str, default="samples")
    group.add_argument("--input-file", type=str, default="input.txt")
    parser = add_training_args(parser)
    return parser.parse_args(args_list)
'''
SAT_ARGUMENTS = '''
# SwissArmyTransformer 0.4.12, sat/arguments.py add_training_args (an excerpt)
def add_training_args(parser):
    group = parser.add_argument_group("train", "training configurations")
    group.add_argument("--seed", type=int, default=1234, help="random seed")
    return parser
'''
HALLO3 = r'''
# hallo3/sample_video.py at e342dcec: the options come from arguments.py and sat (:20, :442); --base configs are read
# relative to the working directory (arguments.py:268-275); sat asserts seed > 0 and reads RANK / WORLD_SIZE from the
# environment (sat/arguments.py); each line is prompt@@image@@audio (:260-264); the output is
# <out>/<image>-<audio>-seed_<N>/000000_with_audio.mp4 at 480x480 (square) or 720x480, ceil(25 * seconds) frames, the
# silent 000000.mp4 deleted after the mux (:110-126, :267-268; audio_processor.py:105).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from arguments import get_args
a = get_args()
if not a.base:
    fail("AssertionError: --base configs are required")
for path in a.base:
    need_file(path, "config")
if a.seed <= 0:
    fail("AssertionError: seed > 0")
for var in ("RANK", "WORLD_SIZE"):
    if var not in os.environ:
        fail(f"ValueError: environment variable {var} expected, but not set")
need_file("./pretrained_models/hallo3/latest", "checkpoint")
for line in open(need_file(a.input_file, "input list")).read().splitlines():
    fields = line.split("@@")
    if len(fields) != 3:
        fail("AssertionError: len(input_list)==3")
    prompt, image, audio = fields
    need_file(image, "image")
    seconds = audio_seconds(audio)
    if not behave(stem(image), fail):
        continue
    out = os.path.join(a.output_dir, f"{stem(image)}-{stem(audio)}-seed_{a.seed}")
    import cv2
    h, w = cv2.imread(image).shape[:2]
    size = (480, 480) if w == h else (720, 480)
    n = math.ceil(25 * seconds)
    write_video(os.path.join(out, "000000.mp4"), n, *size, 25)
    write_video(os.path.join(out, "000000_with_audio.mp4"), n, *size, 25, audio=audio)
    os.remove(os.path.join(out, "000000.mp4"))
'''

FLOAT_OPTIONS = r'''
# FLOAT at 97cfdd51, options/base_options.py:10-69 (an excerpt: the options the wrapper and the fake use)
import argparse
class BaseOptions:
	def initialize(self, parser):
		parser.add_argument('--pretrained_dir', type=str, default='./checkpoints')
		parser.add_argument('--seed', type=int, default=15)
		parser.add_argument('--fix_noise_seed', action='store_true')
		parser.add_argument('--a_cfg_scale', type=float, default=2.0)
		parser.add_argument('--e_cfg_scale', type=float, default=1.0)
		parser.add_argument('--nfe', type=int, default=10)
		return parser
'''
FLOAT = r'''
# FLOAT at 97cfdd51, generate.py:159-179 and options/base_options.py: every option has a default; --seed seeds the
# noise only with --fix_noise_seed (FLOAT.py:102-108); 512 px at 25 fps into a temporary file, then muxed by a shell
# command holding the temporary, audio and output paths unquoted, its status ignored (generate.py:107-121). Here `cp`
# stands in for ffmpeg, given the words a shell splits that command into (shlex), without a shell: a path that is
# not one word goes astray as it does in the program (its $(...) would run there; here it is only a wrong word).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from options.base_options import BaseOptions
p = BaseOptions().initialize(argparse.ArgumentParser())
p.add_argument("--ref_path", default=None, type=str)
p.add_argument("--aud_path", default=None, type=str)
p.add_argument("--emo", default=None, type=str)
p.add_argument("--no_crop", action="store_true")
p.add_argument("--res_video_path", default=None, type=str)
p.add_argument("--res_dir", default="./results", type=str)
p.add_argument("--ckpt_path", default="/home/nvadmin/float.pth", type=str)
a = p.parse_args()
need_file(a.ckpt_path, "checkpoint"); need_file(a.ref_path, "image")
seconds = audio_seconds(a.aud_path)
if behave(stem(a.ref_path), fail):
    import shlex, subprocess, tempfile
    temp = tempfile.NamedTemporaryFile(suffix=".mp4", delete=False).name
    write_video(temp, round(25 * seconds), 512, 512, 25, noise=0 if a.fix_noise_seed else unseeded_noise(),
                audio=a.aud_path)
    try:
        words = shlex.split("-i {} -i {} {}".format(temp, a.aud_path, a.res_video_path))
    except ValueError:  # an unbalanced quote: the shell would stop there
        words = []
    if len(words) == 5:
        subprocess.call(["cp", words[1], words[4]], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if os.path.exists(a.res_video_path):
        os.remove(temp)
'''

REAL3D = r'''
# Real3DPortrait at a9d70c7e, inference/real3d_infer.py: every option has a default (:584-601); the head follows the
# bundled May_5s.mp4 unless --drv_pose static (:282-298, :591); without --seed the clock seeds the run (:183-186);
# --out_mode defaults to the 2560x512 concat_debug grid whose last panel is the generated frame (:597); the source is
# cropped into the shared infer_out/tmp/cropped_src_img.png of the working directory (:195-196); the final ffmpeg mux is
# os.system with its status ignored (:534-538), so a failure there exits 0 without the output.
p = argparse.ArgumentParser()
p.add_argument("--a2m_ckpt", default="checkpoints/240210_real3dportrait_orig/audio2secc_vae", type=str)
p.add_argument("--src_img", default="data/raw/examples/Macron.png")
p.add_argument("--drv_aud", default="data/raw/examples/Obama_5s.wav")
p.add_argument("--drv_pose", default="data/raw/examples/May_5s.mp4")
p.add_argument("--out_name", default="")
p.add_argument("--out_mode", default="concat_debug")
p.add_argument("--seed", default=None, type=int)
p.add_argument("--map_to_init_pose", default="True")
p.add_argument("--min_face_area_percent", default=0.2, type=float)
a = p.parse_args()
need_file(os.path.join(a.a2m_ckpt, "config.yaml"), "audio2secc config")
need_file(a.src_img, "image")
os.makedirs("infer_out/tmp", exist_ok=True)
shutil.copy(a.src_img, "infer_out/tmp/cropped_src_img.png")
if a.drv_pose != "static":
    need_file(a.drv_pose, "driving pose")
n = round(25 * audio_seconds(a.drv_aud))
noise = 0 if a.seed is not None else unseeded_noise()
if behave(stem(a.src_img), quit_quietly):
    if a.out_mode == "concat_debug":
        write_video(a.out_name, n, 2560, 512, 25, panel=(2048, 0, 2560, 512), noise=noise, audio=a.drv_aud)
    else:
        write_video(a.out_name, n, 512, 512, 25, noise=noise, audio=a.drv_aud)
'''

GOHA = r'''
# GOHA at 102abbf3, src/demo.py (run in src/): --config and --checkpoint required, the rest defaulted (:210-236); each
# folder under --source_path / --target_path is a video with images/*.png, matting/<same>.png and dataset.json
# (dataset/Dataset.py:37-61, :100-102; "_mirror" labels skipped); the config and dataset/cano_exemplar.png are read
# relative to src/ (model_s2.py:72); OUT/<source crop name>.mp4, 2048x512 frames at 15 fps, one per driving frame up
# to --frame_limit (:195-205); exceptions exit 1.
p = argparse.ArgumentParser()
p.add_argument("--config", type=str, required=True)
p.add_argument("--checkpoint", type=str, required=True)
p.add_argument("--savedir", type=str, default="./renders/")
p.add_argument("--source_path", type=str, default="/raid/celeba")
p.add_argument("--target_path", type=str, default="/raid/person_2_test")
p.add_argument("--frame_limit", type=int, default=1000)
p.add_argument("--image_limit", type=int, default=1)
a = p.parse_args()
need_file(a.config, "config"); need_file(a.checkpoint, "checkpoint"); need_file("dataset/cano_exemplar.png", "exemplar")
def videos(path):
    out = []
    for video in sorted(glob.glob(os.path.join(path, "*"))):
        labels = json.load(open(need_file(os.path.join(video, "dataset.json"), "dataset.json")))["labels"]
        names = sorted(n.replace(".jpg", ".png") for n, _ in labels if "_mirror" not in n)
        for n, label in labels:
            if len(label) != 25:
                fail("RuntimeError: shape '[-1, 4, 4]' is invalid (a label is not 25 numbers)")
        for n in names:
            need_file(os.path.join(video, "images", n), "image"); need_file(os.path.join(video, "matting", n), "matte")
        out.append(names)
    return out
sources, targets = videos(a.source_path), videos(a.target_path)
if not sources or not targets:
    fail("ValueError: num_samples should be a positive integer value, but got num_samples=0")
os.makedirs(a.savedir, exist_ok=True)
name = stem(sources[0][0])
if behave(name, fail):
    write_video(os.path.join(a.savedir, f"{name}.mp4"), min(len(targets[0]), a.frame_limit), 2048, 512, 15,
                panel=(1024, 0, 1536, 512))
'''

EG3D = r'''
# NVlabs/eg3d at 7cf1fd1e, dataset_preprocessing/ffhq/preprocess_in_the_wild.py (run in that folder): --indir
# required (:14); each step is os.system, so the script exits 0 whatever they did (:19-46); crops go to
# INDIR/crop/<stem>.png at 512 px (crop_images_in_the_wild.py:32-60), the labels (and mirrored copies) to
# <cwd>/<INDIR's name>/dataset.json (preprocess_face_cameras.py:116-128).
p = argparse.ArgumentParser()
p.add_argument("--indir", type=str, required=True)
a = p.parse_args()
import cv2
need_file("Deep3DFaceRecon_pytorch/checkpoints/pretrained/epoch_20.pth", "Deep3DFaceRecon")
dest = os.path.basename(a.indir.rstrip("/"))
os.makedirs(os.path.join(a.indir, "crop"), exist_ok=True)
os.makedirs(dest, exist_ok=True)
label = [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 2.7, 0, 0, 0, 1, 4.2647, 0, 0.5, 0, 4.2647, 0.5, 0, 0, 1]
labels = []
for path in sorted(glob.glob(os.path.join(a.indir, "*.png"))):
    image = cv2.imread(path)
    if image.mean() < 1:  # MTCNN finds no face in a black frame: that frame gets no crop
        continue
    cv2.imwrite(os.path.join(a.indir, "crop", stem(path) + ".png"), cv2.resize(image, (512, 512)))
    labels += [[stem(path) + ".png", label], [stem(path) + "_mirror.png", label]]
json.dump({"labels": labels}, open(os.path.join(dest, "dataset.json"), "w"))
'''

MODNET = r'''
# ZHKKKe/MODNet at 28165a45, demo/image_matting/colab/inference.py (run as a module from the clone): --input-path,
# --output-path, --ckpt-path (:18-20); every file of the input folder gets a matte under its own stem + .png, saved
# with PIL into a folder it does not create (:58-93).
p = argparse.ArgumentParser()
p.add_argument("--input-path", type=str, help="path of input images")
p.add_argument("--output-path", type=str, help="path of output images")
p.add_argument("--ckpt-path", type=str, help="path of pre-trained MODNet")
a = p.parse_args()
import cv2
need_file(a.ckpt_path, "checkpoint")
for path in sorted(os.listdir(a.input_path)):
    image = cv2.imread(os.path.join(a.input_path, path))
    if not os.path.isdir(a.output_path):
        fail(f"FileNotFoundError: [Errno 2] No such file or directory: {a.output_path!r}")
    cv2.imwrite(os.path.join(a.output_path, stem(path) + ".png"), np.full(image.shape[:2], 255, np.uint8))
'''

P4D_CONFIG = r'''
# Portrait-4D at da5eec6f, data_preprocess/lib/config/config.py:270-281: the preprocessing's options
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--input_dir", default='', type=str)
parser.add_argument("--save_dir", default='', type=str)
parser.add_argument("--cfg_file", default="configs/pipeline_config1.yaml", type=str)
parser.add_argument("--is_video", action='store_true')
cfg = parser.parse_args()
'''
P4D_PREPROCESS = r'''
# Portrait-4D at da5eec6f, data_preprocess/preprocess_dir.py (run in data_preprocess/): options from
# lib/config/config.py; align_images/, 3dldmks_align/ and bfm_params/ per frame; the detector's weights relative to
# the working directory (pipeline_config1.yaml:26-76); it stops at the first frame without a detected face and exits 0
# (lib/inferencer.py:133-139).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib.config.config import cfg
import cv2
need_file("assets/facedetect/retinaface/Resnet50_Final.pth", "face detector")
for sub in ("align_images", "3dldmks_align", "bfm_params"):
    os.makedirs(os.path.join(cfg.save_dir, sub), exist_ok=True)
for path in sorted(glob.glob(os.path.join(cfg.input_dir, "*.png"))):
    image = cv2.imread(path)
    if image.mean() < 1:
        print("no face detected, stop")
        break
    cv2.imwrite(os.path.join(cfg.save_dir, "align_images", os.path.basename(path)), cv2.resize(image, (512, 512)))
    for sub in ("3dldmks_align", "bfm_params"):
        np.save(os.path.join(cfg.save_dir, sub, stem(path) + ".npy"), np.zeros(3))
'''
P4D_BFM2FLAME = r'''
# Portrait-4D at da5eec6f, data_preprocess/bfm2flame_simplified.py: click options --input_dir, --save_dir (default
# '': the working directory), --use_mapper (:101-104); <save_dir>/bfm2flame_params_simplified/ per bfm_params file (:107-110).
import click
@click.command()
@click.option('--input_dir', type=str, help='Input folder', default='')
@click.option('--save_dir', type=str, help='Input folder', default='')
@click.option('--use_mapper', type=bool, help='Use bfm2flame mapper', default=True)
def main(input_dir, save_dir, use_mapper):
    out = os.path.join(save_dir, "bfm2flame_params_simplified")
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(os.path.join(input_dir, "bfm_params"))):
        np.save(os.path.join(out, name), np.zeros(3))
main()
'''
P4D_GEN = r'''
# Portrait-4D at da5eec6f, portrait4d/gen_images_portrait4d.py (run in portrait4d/): click options (:109-124), the
# motion encoder's weights relative to the working directory (:169); per source image, torch.manual_seed(index) and
# OUT/<source stem>/NNNNN.jpg per driving frame, source | generated | driving at 1536x512 (:175-259); the sources'
# and targets' align_images/, 3dldmks_align/ and bfm2flame_params_simplified/ are read (:192-218); the camera is fixed
# (:239-243): no dataset.json is read.
import click
@click.command()
@click.option('--network', 'network_pkl', default='./pretrained_models/portrait4d-v2-vfhq512.pkl')
@click.option('--srcdir', type=str, default='./examples', metavar='DIR')
@click.option('--tardir', type=str, default='./examples', metavar='DIR')
@click.option('--outdir', type=str, default='experiments/portrait4d-reenacted', metavar='DIR')
@click.option('--use_simplified', type=bool, required=True, metavar='BOOL', default=False, show_default=True)
def main(network_pkl, srcdir, tardir, outdir, use_simplified):
    import cv2
    need_file(network_pkl, "network"); need_file("models/pdfgc/weights/motion_model.pth", "motion encoder")
    params = "bfm2flame_params_simplified" if use_simplified else "flame_optim_params"
    for d in (srcdir, tardir):
        for sub in ("align_images", "3dldmks_align", params):
            if not os.path.isdir(os.path.join(d, sub)):
                fail(f"FileNotFoundError: [Errno 2] No such file or directory: {os.path.join(d, sub)!r}")
    targets = sorted(os.listdir(os.path.join(tardir, "align_images")))
    for src in sorted(os.listdir(os.path.join(srcdir, "align_images"))):
        sub = os.path.join(outdir, stem(src))
        os.makedirs(sub, exist_ok=True)
        if not behave(stem(src), fail):
            continue
        for k, _ in enumerate(targets):
            cv2.imwrite(os.path.join(sub, f"{k:05d}.jpg"), frame(1536, 512, (512, 0, 1024, 512)), [cv2.IMWRITE_JPEG_QUALITY, 95])
main()
'''

# method -> {path in the fake clone: script}
PROGRAMS = {
    "anitalker": {"code/demo.py": ANITALKER},
    "echomimic": {"infer_audio2vid.py": ECHOMIMIC},
    "vexpress": {"inference.py": VEXPRESS},
    "aniportrait": {"scripts/audio2vid.py": ANIPORTRAIT},
    "hallo3": {"hallo3/sample_video.py": HALLO3},
    "float": {"generate.py": FLOAT},
    "goha": {"src/demo.py": GOHA},
    "portrait4d": {"data_preprocess/preprocess_dir.py": P4D_PREPROCESS,
                   "data_preprocess/bfm2flame_simplified.py": P4D_BFM2FLAME,
                   "portrait4d/gen_images_portrait4d.py": P4D_GEN},
    "real3dportrait": {"inference/real3d_infer.py": REAL3D},
}
PLAIN_FILES = {  # written as they are (no HEADER)
    "hallo3": {"hallo3/arguments.py": HALLO3_ARGUMENTS, "scripts/inference_long_batch.sh": HALLO3_SCRIPT,
               "configs/cogvideox_5b_i2v_s2.yaml": "model: {}\n", "configs/inference.yaml": "args: {}\n"},
    "float": {"options/__init__.py": "", "options/base_options.py": FLOAT_OPTIONS},
    "portrait4d": {"data_preprocess/lib/__init__.py": "", "data_preprocess/lib/config/__init__.py": "",
                   "data_preprocess/lib/config/config.py": P4D_CONFIG},
    "echomimic": {"configs/inference/inference_v2.yaml": "noise_scheduler_kwargs: {}\n",
                  "configs/prompts/animation.yaml": (
                      "pretrained_base_model_path: ./pretrained_weights/sd-image-variations-diffusers\n"
                      "denoising_unet_path: ./pretrained_weights/denoising_unet.pth\n"
                      "motion_module_path: ./pretrained_weights/motion_module.pth\n"
                      "inference_config: ./configs/inference/inference_v2.yaml\n"
                      "weight_dtype: fp16\n"
                      "test_cases:\n  ./assets/a.png: [./assets/a.wav]\n")},
    "aniportrait": {"configs/inference/inference_audio.yaml": "a2m_model: {}\n",
                    "configs/prompts/animation_audio.yaml": (
                        "denoising_unet_path: ./pretrained_model/denoising_unet.pth\n"
                        "audio_inference_config: ./configs/inference/inference_audio.yaml\n"
                        "test_cases: {}\n")},
    "goha": {"src/configs/s2.yml": "stage: 2\n", "src/dataset/cano_exemplar.png": "png",
             "src/losses/threeDMM.py": "self.bfm_UVs = None  # the authors' file removed, as docs/baselines.md says\n"},
}
TOOLS = {  # the other programs GOHA's preprocessing runs: option key -> {path: script}, weights
    "eg3d": ({"dataset_preprocessing/ffhq/preprocess_in_the_wild.py": EG3D,
              "dataset_preprocessing/ffhq/3dface2idr_mat.py": "# c[1] += 0.006 commented out as GOHA asks\n",
              "dataset_preprocessing/ffhq/Deep3DFaceRecon_pytorch/test.py": ""},
             ("dataset_preprocessing/ffhq/Deep3DFaceRecon_pytorch/checkpoints/pretrained/epoch_20.pth",
              "dataset_preprocessing/ffhq/Deep3DFaceRecon_pytorch/BFM/01_MorphableModel.mat",
              "dataset_preprocessing/ffhq/Deep3DFaceRecon_pytorch/BFM/Exp_Pca.bin")),
    "modnet": ({"demo/__init__.py": "", "demo/image_matting/__init__.py": "", "demo/image_matting/colab/__init__.py": "",
                "demo/image_matting/colab/inference.py": MODNET},
               ("pretrained/modnet_photographic_portrait_matting.ckpt",)),
}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if path.suffix == ".sh":
        path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _touch(path: Path, folder: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        path.mkdir(exist_ok=True)
    else:
        path.write_bytes(b"weights")


def write_fake_clone(repo: Path, method: str, checkpoints: dict[str, str]) -> Path:
    """The fake program, its configs, the checkpoints of params (relative paths) and the weights the wrapper
    expects at fixed paths."""
    for rel, body in PROGRAMS[method].items():
        _write(repo / rel, HEADER + body)
    for rel, text in PLAIN_FILES.get(method, {}).items():
        _write(repo / rel, text)
    for rel in checkpoints.values():
        _touch(repo / rel, folder=not Path(rel).suffix)
    for rel in registry.WRAPPERS[method].weights:
        _touch(repo / rel)
    return repo


def write_fake_tool(folder: Path, key: str) -> Path:
    scripts, weights = TOOLS[key]
    for rel, body in scripts.items():
        _write(folder / rel, (HEADER + body) if body.startswith("\n#") else body)
    for rel in weights:
        _touch(folder / rel)
    return folder
