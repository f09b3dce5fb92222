"""Raw inputs to text: charset detection and decoding, WARC records."""
