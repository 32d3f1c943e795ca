"""Moved to `chunk_source` (the chunk runs on the campaign engine); kept for one import."""

from .chunk_source import ChunkRun, SmsClient

__all__ = ["ChunkRun", "SmsClient"]
