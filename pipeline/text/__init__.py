"""Plain text: page text dumps, cleaning, sentence segmentation and its per-language data, month
names. Pure functions over strings."""
