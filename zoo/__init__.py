"""Data only: the zoo's files, installed as the package keras_gans._zoo_files."""
