"""Downloading, extracting and laying out datasets as ROOT/DATASET/{train,val}/<class>/<video>."""
