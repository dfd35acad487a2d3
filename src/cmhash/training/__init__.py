"""The method-agnostic training loop: phases, hooks, seeding, checkpoints, resume, logging."""

from cmhash.training.bert_adam import BertAdam, warmup_cosine
from cmhash.training.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from cmhash.training.loop import Phase, Trainable, TrainResult, remove_checkpoints, train
from cmhash.training.seeding import seeded_rng
from cmhash.training.state import TrainState
from cmhash.training.step_decay import decay_learning_rates

__all__ = [
           "BertAdam",
           "Phase",
           "TrainResult",
           "TrainState",
           "Trainable",
           "decay_learning_rates",
           "load_checkpoint",
           "read_checkpoint",
           "remove_checkpoints",
           "save_checkpoint",
           "seeded_rng",
           "train",
           "warmup_cosine",
]
