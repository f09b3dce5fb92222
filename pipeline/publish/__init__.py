"""What researchers get besides the tables: the dataset card, plots, and the loader."""
