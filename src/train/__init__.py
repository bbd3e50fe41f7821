"""The training side: configuration, the engine shared by both tasks, the tasks, checkpoints and logs."""
