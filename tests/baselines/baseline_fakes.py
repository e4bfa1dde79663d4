"""Fake baseline programs: small Python scripts that take the real program's documented arguments (and
exit non-zero otherwise) and write output in the real program's layout. Tests write them into a fake
clone under tmp_path; the wrappers run them with sys.executable.

Every fake paints the generated image GENERATED_VALUE and any other panel OTHER_VALUE, so a test can tell
whether the right panel was cropped.
"""
from __future__ import annotations

import stat
from pathlib import Path

GENERATED_VALUE = 200
OTHER_VALUE = 40

HEADER = r'''
import argparse, datetime, glob, json, os, sys, time
from fractions import Fraction
import av, numpy as np, soundfile, yaml

GENERATED, OTHER = %d, %d

def fail(message):
    print("fake: " + message, file=sys.stderr)
    sys.exit(3)

def need_file(path, what):
    if not os.path.isfile(path):
        fail(f"{what} {path!r} is not a file")
    return path

def audio_seconds(path):
    need_file(path, "audio")
    info = soundfile.info(path)
    if info.samplerate != 16000 or info.channels != 1:
        fail(f"audio must be 16 kHz mono, got {info.samplerate} Hz x {info.channels}")
    return info.frames / info.samplerate

def behave(name):
    """Test hooks driven by the clip's name: crash, hang or write nothing."""
    if "crash" in name:
        fail("crashing as asked")
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

def write_video(path, n, w, h, fps, panel=None, noise=0):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with av.open(path, "w") as c:
        s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(n):
            f = av.VideoFrame.from_ndarray(frame(w, h, panel, noise), format="rgb24")
            for p in s.encode(f):
                c.mux(p)
        for p in s.encode():
            c.mux(p)

def stem(path):
    return os.path.splitext(os.path.basename(path))[0]
''' % (GENERATED_VALUE, OTHER_VALUE)

ANITALKER = r'''
p = argparse.ArgumentParser()
for a in ("--infer_type", "--stage1_checkpoint_path", "--stage2_checkpoint_path", "--test_image_path",
          "--test_audio_path", "--result_path"):
    p.add_argument(a, required=True)
a = p.parse_args()
if a.infer_type != "hubert_audio_only":
    fail("infer_type")
need_file(a.stage1_checkpoint_path, "stage1"); need_file(a.stage2_checkpoint_path, "stage2")
need_file(a.test_image_path, "image")
seconds = audio_seconds(a.test_audio_path)
if behave(stem(a.test_image_path)):
    write_video(os.path.join(a.result_path, f"{stem(a.test_image_path)}-{stem(a.test_audio_path)}.mp4"),
                round(25 * seconds), 256, 256, 25)
'''

ECHOMIMIC = r'''
p = argparse.ArgumentParser()
p.add_argument("--config", required=True); p.add_argument("-W", type=int, required=True)
p.add_argument("-H", type=int, required=True); p.add_argument("--cfg", type=float, required=True)
p.add_argument("--steps", type=int, required=True); p.add_argument("--fps", type=int, required=True)
p.add_argument("--seed", type=int, default=420)
a = p.parse_args()
if (a.W, a.H, a.cfg, a.steps, a.fps) != (512, 512, 2.5, 30, 25):
    fail("not the published settings")
config = yaml.safe_load(open(need_file(a.config, "config")))
if "pretrained_base_model_path" not in config:
    fail("base config keys lost")
now = datetime.datetime.now()
folder = os.path.join("output", now.strftime("%Y%m%d"), now.strftime("%H%M") + f"--seed_{a.seed}-{a.W}x{a.H}")
for image, audios in config["test_cases"].items():
    need_file(image, "image")
    for audio in audios:
        seconds = audio_seconds(audio)
        name = f"{stem(image)}_{stem(audio)}_{a.H}x{a.W}_{int(a.cfg)}_{now.strftime('%H%M')}"
        write_video(os.path.join(folder, name + ".mp4"), 5, 64, 64, a.fps)  # the silent draft, too short
        write_video(os.path.join(folder, name + "_withaudio.mp4"), round(a.fps * seconds), a.W, a.H, a.fps)
'''

VEXPRESS = r'''
# V-Express at 6814f7db (docs/programs/vexpress.md): inference.py:27-74 define every argument with a default (the
# bundled kps file among them); the run is seeded with --seed, 42 by default (:64, :216). The video has
# 24 + 20k frames, the most whole 20-frame windows after 24 that fit int(duration * fps), spread over the audio's
# duration (:255-264): its rate depends on the clip, and under 24 frames the program crashes (IndexError).
p = argparse.ArgumentParser()
p.add_argument("--reference_image_path", default="./test_samples/emo/talk_emotion/ref.jpg")
p.add_argument("--audio_path", default="./test_samples/emo/talk_emotion/aud.mp3")
p.add_argument("--kps_path", default="./test_samples/emo/talk_emotion/kps.pth")
p.add_argument("--output_path", default="./output/emo/talk_emotion.mp4")
p.add_argument("--retarget_strategy", default="fix_face",
               choices=["fix_face", "no_retarget", "offset_retarget", "naive_retarget"])
p.add_argument("--fps", type=float, default=30.0)
p.add_argument("--seed", type=int, default=42)
p.add_argument("--num_inference_steps", type=int, default=25)
p.add_argument("--guidance_scale", type=float, default=3.5)
a = p.parse_args()
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
write_video(a.output_path, video_length, 512, 512, video_length / seconds)
'''

ANIPORTRAIT = r'''
p = argparse.ArgumentParser()
p.add_argument("--config", required=True); p.add_argument("-W", type=int, required=True)
p.add_argument("-H", type=int, required=True); p.add_argument("--fps", type=int, required=True)
p.add_argument("--seed", type=int, default=42)
a = p.parse_args()
if (a.W, a.H, a.fps) != (512, 512, 30):
    fail("not the published settings")
config = yaml.safe_load(open(need_file(a.config, "config")))
now = datetime.datetime.now()
folder = os.path.join("output", now.strftime("%Y%m%d"), now.strftime("%H%M") + f"--seed_{a.seed}-{a.W}x{a.H}")
for image, audios in config["test_cases"].items():
    need_file(image, "image")
    for audio in audios:
        seconds = audio_seconds(audio)
        name = f"{stem(image)}_{stem(audio)}_{a.H}x{a.W}_3_{now.strftime('%H%M')}"
        n = round(a.fps * seconds)
        write_video(os.path.join(folder, name + "_noaudio.mp4"), n, 64, 64, a.fps)
        write_video(os.path.join(folder, name + ".mp4"), n, 1544, 516, a.fps, panel=(1030, 2, 1542, 514))
'''

HALLO3_SCRIPT = '#!/bin/bash\nset -e\npython hallo3/sample_video.py --input-file "$1" --output-dir "$2"\n'
HALLO3 = r'''
p = argparse.ArgumentParser()
p.add_argument("--input-file", required=True); p.add_argument("--output-dir", required=True)
a = p.parse_args()
for k, line in enumerate(open(need_file(a.input_file, "input list")).read().splitlines()):
    prompt, image, audio = line.split("@@")
    if not prompt:
        fail("empty prompt")
    need_file(image, "image")
    seconds = audio_seconds(audio)
    write_video(os.path.join(a.output_dir, f"{k:04d}", "video.mp4"), round(25 * seconds), 512, 512, 25)
'''

FLOAT = r'''
# FLOAT at 97cfdd51 (docs/programs/float.md): generate.py:159-179 and options/base_options.py:10-69 define every
# argument with a default; --seed (int, 15) seeds the noise only with --fix_noise_seed (FLOAT.py:102-108).
p = argparse.ArgumentParser()
for a in ("--ref_path", "--aud_path", "--res_video_path", "--emo"):
    p.add_argument(a, default=None)
p.add_argument("--ckpt_path", default="/home/nvadmin/float.pth")
p.add_argument("--seed", type=int, default=15)
p.add_argument("--fix_noise_seed", action="store_true")
p.add_argument("--no_crop", action="store_true")
p.add_argument("--a_cfg_scale", type=float, default=2.0)
p.add_argument("--e_cfg_scale", type=float, default=1.0)
p.add_argument("--nfe", type=int, default=10)
a = p.parse_args()
need_file(a.ckpt_path, "checkpoint"); need_file(a.ref_path, "image")
seconds = audio_seconds(a.aud_path)
if behave(stem(a.ref_path)):
    write_video(a.res_video_path, round(25 * seconds), 512, 512, 25, noise=0 if a.fix_noise_seed else unseeded_noise())
'''

REAL3D = r'''
# Real3DPortrait at a9d70c7e (docs/programs/real3dportrait.md): inference/real3d_infer.py:584-601 define every
# argument with a default; the head follows the bundled May_5s.mp4 unless --drv_pose static (:282-298, :591); without
# --seed the run seeds itself from the clock (:183); --out_mode defaults to the 2560x512 concat_debug grid whose
# last panel is the generated frame (:597).
p = argparse.ArgumentParser()
p.add_argument("--src_img", default="data/raw/examples/Macron.png")
p.add_argument("--drv_aud", default="data/raw/examples/Obama_5s.wav")
p.add_argument("--drv_pose", default="data/raw/examples/May_5s.mp4")
p.add_argument("--out_name", default="")
p.add_argument("--out_mode", default="concat_debug")
p.add_argument("--seed", type=int, default=None)
p.add_argument("--map_to_init_pose", default="True")
p.add_argument("--min_face_area_percent", type=float, default=0.2)
a = p.parse_args()
need_file(a.src_img, "image")
if a.drv_pose != "static":
    need_file(a.drv_pose, "driving pose")
n = round(25 * audio_seconds(a.drv_aud))
noise = 0 if a.seed is not None else unseeded_noise()
if a.out_mode == "concat_debug":
    write_video(a.out_name, n, 2560, 512, 25, panel=(2048, 0, 2560, 512), noise=noise)
else:
    write_video(a.out_name, n, 512, 512, 25, noise=noise)
'''

GOHA = r'''
p = argparse.ArgumentParser()
for a in ("--config", "--checkpoint", "--savedir", "--source_path", "--target_path"):
    p.add_argument(a, required=True)
a = p.parse_args()
need_file(a.config, "config"); need_file(a.checkpoint, "checkpoint")
def folder(path):
    images = sorted(glob.glob(os.path.join(path, "*.png")))
    labels = json.load(open(need_file(os.path.join(path, "dataset.json"), "dataset.json")))["labels"]
    if not images or [l[0] for l in labels] != [os.path.basename(i) for i in images] or len(labels[0][1]) != 25:
        fail(f"{path} is not an EG3D folder")
    return images
if len(folder(a.source_path)) != 1:
    fail("one source image")
n = len(folder(a.target_path))
write_video(os.path.join(a.savedir, "result.mp4"), n, 2048, 512, 15, panel=(1024, 0, 1536, 512))
'''

P4D_PREPROCESS = r'''
import shutil
p = argparse.ArgumentParser()
p.add_argument("--input_dir", required=True); p.add_argument("--save_dir", required=True)
a = p.parse_args()
images = sorted(glob.glob(os.path.join(a.input_dir, "*.png")))
if not images:
    fail("no images to preprocess")
os.makedirs(os.path.join(a.save_dir, "align_images"), exist_ok=True)
for i in images:
    shutil.copy(i, os.path.join(a.save_dir, "align_images", os.path.basename(i)))
'''

P4D_BFM2FLAME = r'''
p = argparse.ArgumentParser()
p.add_argument("--input_dir", required=True)
a = p.parse_args()
if not os.path.isdir(os.path.join(a.input_dir, "align_images")):
    fail("run preprocess_dir.py first")
os.makedirs(os.path.join(a.input_dir, "bfm2flame_params_simplified"), exist_ok=True)
'''

P4D_GEN = r'''
p = argparse.ArgumentParser()
for a in ("--network", "--srcdir", "--tardir", "--outdir", "--use_simplified"):
    p.add_argument(a, required=True)
a = p.parse_args()
if a.use_simplified != "1":
    fail("--use_simplified=1")
need_file(a.network, "network")
for d in (a.srcdir, a.tardir):
    if not os.path.isdir(os.path.join(d, "bfm2flame_params_simplified")):
        fail(f"{d} is not preprocessed")
labels = json.load(open(need_file(os.path.join(a.tardir, "dataset.json"), "target cameras")))["labels"]
if len(labels[0][1]) != 25:
    fail("25-d camera labels expected")
import cv2
os.makedirs(a.outdir, exist_ok=True)
for k, _ in enumerate(sorted(glob.glob(os.path.join(a.tardir, "align_images", "*.png")))):
    cv2.imwrite(os.path.join(a.outdir, f"{k:05d}.jpg"), frame(1536, 512, (512, 0, 1024, 512)), [cv2.IMWRITE_JPEG_QUALITY, 95])
'''

# method -> {path in the fake clone: script}; checkpoints are created from params' relative paths.
PROGRAMS = {
    "anitalker": {"code/demo.py": ANITALKER},
    "echomimic": {"infer_audio2vid.py": ECHOMIMIC},
    "vexpress": {"inference.py": VEXPRESS},
    "aniportrait": {"scripts/audio2vid.py": ANIPORTRAIT},
    "hallo3": {"hallo3/sample_video.py": HALLO3},
    "float": {"generate.py": FLOAT},
    "goha": {"demo.py": GOHA},
    "portrait4d": {"data_preprocess/preprocess_dir.py": P4D_PREPROCESS,
                   "data_preprocess/bfm2flame_simplified.py": P4D_BFM2FLAME,
                   "portrait4d/gen_images_portrait4d.py": P4D_GEN},
    "real3dportrait": {"inference/real3d_infer.py": REAL3D},
}
EXTRA_FILES = {
    "echomimic": {"configs/prompts/animation.yaml": "pretrained_base_model_path: ./pretrained_weights/sd\n"
                                                    "test_cases:\n  ./assets/a.png: [./assets/a.wav]\n"},
    "aniportrait": {"configs/prompts/animation_audio.yaml": "pretrained_base_model_path: ./pretrained_model/sd\n"
                                                            "test_cases: {}\n"},
    "hallo3": {"scripts/inference_long_batch.sh": HALLO3_SCRIPT},
    "goha": {"configs/s2.yml": "stage: 2\n"},
}


def write_fake_clone(repo: Path, method: str, checkpoints: dict[str, str]) -> Path:
    for rel, body in PROGRAMS[method].items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER + body)
    for rel, text in EXTRA_FILES.get(method, {}).items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if rel.endswith(".sh"):
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
    for rel in checkpoints.values():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if Path(rel).suffix:
            path.write_bytes(b"weights")
        else:
            path.mkdir(exist_ok=True)
    return repo

