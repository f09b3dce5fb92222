"""HTML pages to text and metadata: main-content extraction, block scoring, the page's metadata
(title, authors, dates, JSON-LD). Pure functions over strings."""
