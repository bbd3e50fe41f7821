"""Self-supervised methods (MoCo, BYOL, SimCLR) around any encoder of the model registry."""
