"""The ingestion engine: micro-batches, window store, vectorized rule evaluation."""
