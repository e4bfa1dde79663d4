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

def frame(w, h, panel=None):
    image = np.full((h, w, 3), OTHER if panel else GENERATED, np.uint8)
    if panel:
        x0, y0, x1, y1 = panel
        image[y0:y1, x0:x1] = GENERATED
    return image

def write_video(path, n, w, h, fps, panel=None):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with av.open(path, "w") as c:
        s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for i in range(n):
            f = av.VideoFrame.from_ndarray(frame(w, h, panel), format="rgb24")
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
p = argparse.ArgumentParser()
for a in ("--reference_image_path", "--audio_path", "--kps_path", "--retarget_strategy", "--output_path", "--fps"):
    p.add_argument(a, required=True)
a = p.parse_args()
if a.kps_path != "" or a.retarget_strategy != "fix_face" or a.fps != "30":
    fail("not the published settings")
need_file(a.reference_image_path, "image")
seconds = audio_seconds(a.audio_path)
fps = 30000 / 1001  # what the program actually writes: not an integer rate
write_video(a.output_path, round(fps * seconds), 512, 512, fps)
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
p = argparse.ArgumentParser()
for a in ("--ref_path", "--aud_path", "--seed", "--a_cfg_scale", "--e_cfg_scale", "--ckpt_path", "--res_video_path"):
    p.add_argument(a, required=True)
a = p.parse_args()
if (a.seed, a.a_cfg_scale, a.e_cfg_scale) != ("15", "2", "1"):
    fail("not the published settings")
need_file(a.ckpt_path, "checkpoint"); need_file(a.ref_path, "image")
seconds = audio_seconds(a.aud_path)
if behave(stem(a.ref_path)):
    write_video(a.res_video_path, round(25 * seconds), 512, 512, 25)
'''

REAL3D = r'''
p = argparse.ArgumentParser()
for a in ("--src_img", "--drv_aud", "--out_name", "--out_mode"):
    p.add_argument(a, required=True)
a = p.parse_args()
if a.out_mode != "final":
    fail("--out_mode final is required")
need_file(a.src_img, "image")
write_video(a.out_name, round(25 * audio_seconds(a.drv_aud)), 512, 512, 25)
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

