"""Generation providers: one module per service behind the small interface in ``base``."""
