"""A study: pre-training recipes compared as initialisations. A study file (YAML) names each recipe, the script
that pre-trains it (train_sup.py or train_ssl.py), its configuration files and ``--opts``; compare.py pre-trains
each once (or once per seed) in ``OUT/pretrain/<name>`` and fine-tunes or probes from its last checkpoint, as
from any ``--init``.

    opts: TRAIN.EPOCHS 50                # optional: for every recipe, before its own opts
    recipes:
      - name: fractal
        script: train_ssl.py
        cfg: cfg/pretrain_ssl/tsm.yaml   # one file or a list
        opts: DATA.SOURCE fractal        # a string of KEY VALUE pairs, or a list
"""
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml
from yacs.config import CfgNode

from ..data.families import classes_for
from ..train.config import check, check_dataset_folder, check_every_key_read, check_model_input, merge
from ..models.registry import describe
from ..train.init_weights import variant
from ..utils.cli import UserError

TASK_OF = {"train_sup.py": "supervised", "train_ssl.py": "contrastive"}
RECIPE_KEYS = ("name", "script", "cfg", "opts")
SET_FOR_PRETRAINING = ("TRAIN.OUTPUT", "SEED", "MODEL.RESUME")  # compare.py sets them for each pre-training
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # an init's or recipe's name: a folder under OUT and a row
RESERVED = ("pretrain", "compare.csv", "compare.png", "compare.json")  # what else compare.py writes in OUT


def name_problem(name) -> str | None:
    """Why ``name`` cannot name an init or a recipe (it becomes the folder OUT/<name>), or None."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return f"the name {name!r} becomes a folder; use letters, digits, '.', '_', '-' (starting with a letter or digit)"
    if name in RESERVED:
        return f"the name {name!r} is what compare.py calls one of its own files or folders in --out; choose another"
    return None


@dataclass(frozen=True)
class Recipe:
    name: str
    script: str  # train_sup.py or train_ssl.py
    cfg: tuple[str, ...]
    opts: tuple[str, ...]  # the study's opts, then the recipe's, then --pretrain_opts

    @property
    def task(self) -> str:
        return TASK_OF[self.script]

    def as_plan(self) -> list:
        return [self.name, self.script, list(self.cfg), list(self.opts)]


def _opts(value, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        try:
            words = shlex.split(value)
        except ValueError as e:  # an unclosed quote
            raise UserError(f"{where}: opts {value!r} cannot be split into words ({e})") from None
    elif isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value):
        words = [str(v) for v in value]
    else:
        raise UserError(f"{where}: opts must be a string of KEY VALUE pairs (or a list of them)")
    if len(words) % 2:
        raise UserError(f"{where}: opts needs KEY VALUE pairs; {words[-1]!r} has no value")
    return words


def read_study(path: Path, pretrain_opts: list[str]) -> list[Recipe]:
    """The recipes of the study file at ``path``, with ``pretrain_opts`` (the command line's) after each one's
    own; the file's shape is checked, not yet the configurations (``check_recipes``)."""
    where = f"--study {path}"
    if len(pretrain_opts) % 2:
        raise UserError(f"--pretrain_opts needs KEY VALUE pairs; {pretrain_opts[-1]!r} has no value")
    if not path.is_file():
        raise UserError(f"{where} does not exist; give a study file (see cfg/study/)")
    try:
        data = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise UserError(f"{where} cannot be read as YAML ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("recipes"), list) or not data["recipes"]:
        raise UserError(f"{where} holds no recipes; it needs a list 'recipes:' of name, script, cfg, opts")
    unknown = sorted(set(data) - {"recipes", "opts"})
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r}; a study has 'recipes' and 'opts' (for every recipe)")
    common = _opts(data.get("opts"), where)
    recipes: list[Recipe] = []
    for i, entry in enumerate(data["recipes"], 1):
        if not isinstance(entry, dict) or "name" not in entry:
            raise UserError(f"{where}: recipe {i} is not a mapping with a name; give name, script, cfg, opts")
        name = entry["name"]
        if name_problem(name):
            raise UserError(f"{where}: recipe {i}: {name_problem(name)}")
        here = f"{where}: recipe {name}"
        extra = sorted(set(entry) - set(RECIPE_KEYS))
        if extra:
            raise UserError(f"{here}: unknown key {extra[0]!r}; a recipe has {', '.join(RECIPE_KEYS)}")
        if entry.get("script") not in TASK_OF:
            raise UserError(f"{here}: script {entry.get('script')!r} is not train_sup.py or train_ssl.py")
        files = entry.get("cfg") or []
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise UserError(f"{here}: cfg must be a YAML file or a list of them")
        for f in files:
            if not Path(f).is_file():
                raise UserError(f"{here} names {f}, which does not exist; fix the path (relative to where "
                                "compare.py runs)")
        opts = [*common, *_opts(entry.get("opts"), here), *pretrain_opts]
        for key in opts[::2]:
            if key in SET_FOR_PRETRAINING:
                raise UserError(f"{here}: compare.py sets {key} for each pre-training; drop it")
        recipes.append(Recipe(name, entry["script"], tuple(files), tuple(opts)))
    names = [r.name for r in recipes]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UserError(f"{where}: two recipes are named {repeated[0]}; give each its own name (it names its "
                        "folder and its row)")
    return recipes


def recipe_config(recipe: Recipe, output: Path, seed: int) -> CfgNode:
    return merge([Path(p) for p in recipe.cfg], None,
                 [*recipe.opts, "TRAIN.OUTPUT", str(output), "SEED", str(seed)])


def check_recipes(recipes: list[Recipe], target: CfgNode, output: Path) -> None:
    """Each recipe's configuration as its script would check it, its class files, and its model: the one the
    target task trains (its checkpoint initialises the target's model)."""
    for recipe in recipes:
        try:
            cfg = recipe_config(recipe, output, 1)
            check(cfg, recipe.task)
            check_every_key_read(cfg, recipe.task, set(recipe.opts[::2]))
            check_model_input(cfg)
            check_dataset_folder(cfg, recipe.task)
            if cfg.DATA.SOURCE != "files":
                classes_for(cfg.DATA.SOURCE, cfg.DATA.CLASS_PARAMS, labelled=recipe.task == "supervised")
        except ValueError as e:  # UserError, and a class file's or a dataset's error
            raise UserError(f"recipe {recipe.name}: {e}") from None
        pretrains, trains = (describe(c.MODEL.ARCH, variant(c)) for c in (cfg, target))
        if pretrains != trains:
            raise UserError(f"recipe {recipe.name} pre-trains a {pretrains} but the target task trains a {trains}; "
                            "give both one model (MODEL.ARCH, MODEL.TSM_BASE, MODEL.X3D_SIZE in --opts and "
                            "--pretrain_opts)")
