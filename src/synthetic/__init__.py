"""The synthetic video generators and the generation runner; nothing here knows about training."""
