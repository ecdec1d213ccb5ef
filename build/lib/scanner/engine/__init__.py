"""One engine: rules -> prefilter -> confirming regexes -> validators -> entropy -> allow filters."""
