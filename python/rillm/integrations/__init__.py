"""LiteLLM's `litellm.integrations` path, for the one class gateway code imports from it: `CustomLogger`."""

from rillm.integrations.custom_logger import CustomLogger

__all__ = ["CustomLogger"]
