"""Turning prompt clips into audio: jobs, cache, retries, concurrency limits. No Qt."""
