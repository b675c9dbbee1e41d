"""Batch import of historical data (CSV, Parquet) through the ingestion pipeline, and export
of samples with their violations."""
