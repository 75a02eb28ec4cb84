"""Helpers behind scripts/fetch-models: the catalog-driven fetcher and the CTranslate2 -> ggml converter."""
