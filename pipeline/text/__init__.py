"""Plain text: page text dumps, cleaning, sentence segmentation and its per-language data. Pure
functions over strings."""
