"""Raw inputs to text: the input folder's inventory, charset detection and decoding, WARC
records, input items to ingest rows."""
