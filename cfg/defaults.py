"""Default configuration (keys explained in docs/training.md, PROBE.* in docs/probes.md). YAML files and --opts
may only set keys that exist here; keys of older configurations that nothing reads any more are accepted and
ignored (the end of this file)."""
from yacs.config import CfgNode as CN

_C = CN()
_C.SEED = 1
_C.DEVICE = 0

_C.DATA = CN()
_C.DATA.IMG_SIZE = 112
_C.DATA.CLIP_LENGTH = 8
_C.DATA.ROOT = "data"
_C.DATA.DATASET = "hmdb51"
_C.DATA.EXTENSION = "avi"
_C.DATA.BATCH_SIZE = 32
_C.DATA.BATCH_SIZE_VAL = 4
_C.DATA.STRIDE = 6
_C.DATA.VAL_MIN_STEPS = 1
_C.DATA.VAL_MAX_SEGS = 10
_C.DATA.TORCH_N_WORKERS = -1  # loader worker processes; -1: one per usable core (0: load in the main process)
_C.DATA.SOURCE = "files"  # files: ROOT/DATASET; fractal, perlin, octopus, dead_leaves: rendered while training
_C.DATA.CLASS_PARAMS = None  # fractal/octopus/dead_leaves source: folder of class files (--gen_param)
_C.DATA.SAMPLES_PER_EPOCH = 10000  # rendered sources: training clips per epoch
_C.DATA.VAL_SAMPLES = 500  # rendered sources: validation videos (a fixed draw)
_C.DATA.RENDER_RES = 0  # rendered sources: frame side; 0 = IMG_SIZE·256/224 (128 for 112)
_C.DATA.RENDER_DEVICE = "cpu"  # fractal source: cpu (numba, loader workers), cuda (kernel on the GPU), triton-cpu
_C.DATA.RENDER_VAR = [-1]  # fractal source, fresh samples: allowed variation ids (--var; -1: the default mixture)
_C.DATA.LINEAR_MOTION = False  # fractal source: linear timing for every map (--linear_motion)
_C.DATA.INSTANCES = 0  # rendered classes: a fixed pool of N samples per class, cycled (0: a fresh one per clip)
_C.DATA.RENDER_SPLATS = 0  # fractal source: splats per frame; 0 = the file generator's density at RENDER_RES

_C.TRAIN = CN()
_C.TRAIN.OUTPUT = "out"
_C.TRAIN.SSL_SCHEME = "moco"
_C.TRAIN.EPOCH_START = 0
_C.TRAIN.EPOCHS = 100
_C.TRAIN.EPOCHS_WARMUP = 10
_C.TRAIN.EPOCHS_SAVE = 50
_C.TRAIN.EPOCHS_EVAL = 10
_C.TRAIN.WEIGHT_DECAY = 0.01
_C.TRAIN.LR_BASE = 8e-4
_C.TRAIN.LR_WARMUP = 1e-6
_C.TRAIN.LR_MIN = 1e-5
_C.TRAIN.CLIP_GRAD = 5.0
_C.TRAIN.PRINT_FREQ = 20  # steps between progress-bar updates of the loss (each reads it back from the device)
_C.TRAIN.LR_SCHEDULER = CN()
_C.TRAIN.LR_SCHEDULER.NAME = "cosine"
_C.TRAIN.LR_SCHEDULER.EPOCHS_DECAY = 12
_C.TRAIN.LR_SCHEDULER.DECAY_RATE = 0.1
_C.TRAIN.OPTIMIZER = CN()
_C.TRAIN.OPTIMIZER.NAME = "adamw"
_C.TRAIN.OPTIMIZER.EPS = 1e-8
_C.TRAIN.OPTIMIZER.BETAS = (0.9, 0.999)
_C.TRAIN.OPTIMIZER.MOMENTUM = 0.9
_C.TRAIN.INIT_SSL = None
_C.TRAIN.INIT_SUP = None
_C.TRAIN.AMP = True  # CUDA: float16 autocast + GradScaler
_C.TRAIN.AMP_CPU_BF16 = False  # CPU: bfloat16 autocast when asked
_C.TRAIN.TIME_LIMIT = None
_C.TRAIN.N_CHECK = 5
_C.TRAIN.SYNC_BN = False  # DDP: convert BatchNorm to SyncBatchNorm
_C.TRAIN.CHANNELS_LAST = True  # CUDA memory format of the 2-D backbone
_C.TRAIN.COMPILE = False  # torch.compile the model

_C.MODEL = CN()
_C.MODEL.RESUME = None
_C.MODEL.ARCH = "tsm"
_C.MODEL.KINETICS = None
_C.MODEL.TSM_BASE = "resnet50"  # resnet50, resnet18 (small runs) or mobilenetv2
_C.MODEL.DROPOUT = 0.8  # TSM: dropout before the classifier
_C.MODEL.X3D_SIZE = "M"  # MODEL.ARCH x3d: XS, S, M, L or XL

_C.MOCO = CN()
_C.MOCO.DIM = 128
_C.MOCO.K = 16384
_C.MOCO.M = 0.999
_C.MOCO.T = 0.07
_C.MOCO.MLP_HEAD = True
_C.SIMCLR = CN()
_C.SIMCLR.DIM = 128
_C.SIMCLR.T = 0.1
_C.SIMCLR.MLP_HEAD = True
_C.BYOL = CN()
_C.BYOL.D_OUTPUT = 256
_C.BYOL.D_HIDDEN = 1024
_C.BYOL.EMA_WEIGHT = 0.997

_C.AUG = CN()
_C.AUG.INTERP = "bicubic"
_C.AUG.HOR_FLIP = True
_C.AUG.CROP_VAL = True
_C.AUG.MIN_SCALE = 0.2
_C.AUG.AUTO_AUGMENT_M = 7
_C.AUG.AUTO_AUGMENT_N = 2
_C.AUG.TYPE_MIXUP = "none"
_C.AUG.EPOCHS_CURRICULUM = 5
_C.AUG.SSL_EASY_K = True
_C.AUG.PROB_BLUR = 0.5
_C.AUG.PROB_SCALE = 0.0
_C.AUG.PROB_SHIFT = 0.0
_C.AUG.PROB_SHAKE = 0.0
_C.AUG.PROB_ZOOM = 0.0
_C.AUG.PROB_PERSPECTIVE = 0.0
_C.AUG.PROB_CLONE = 0.0

_C.PROBE = CN()  # frozen-feature probes (probe.py; the online probe of train_sup.py / train_ssl.py)
_C.PROBE.DATASET = ""  # online probe: a labelled dataset under DATA.ROOT, probed every PROBE.EVERY epochs
_C.PROBE.EXTENSION = "avi"  # online probe: PROBE.DATASET's video files (HMDB51 and UCF101 as prepared: avi)
_C.PROBE.EVERY = 5  # online probe: epochs between probes (and after the last)
_C.PROBE.MAX_VIDEOS = 0  # videos per split that a probe encodes, evenly spread over the sorted list (0: all)
_C.PROBE.KNN_K = 20  # k-NN probe: neighbours that vote
_C.PROBE.KNN_T = 0.07  # k-NN probe: a neighbour's vote is exp(cosine similarity / KNN_T)


# Read by nothing: DECORD_N_THREADS (OpenCV decodes with one thread per worker), N_CHANNELS (always RGB); MODE,
# N_CLASSES and STEPS_PER_EPOCH were written into config.yaml by older versions.
for _key in ("DATA.DECORD_N_THREADS", "DATA.N_CHANNELS", "TRAIN.MODE", "MODEL.N_CLASSES",
             "STEPS_PER_EPOCH"):
    _C.register_deprecated_key(_key)


def defaults() -> CN:
    return _C.clone()
