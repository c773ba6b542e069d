"""The ai-analysis job kind: evidence images -> OCR, authenticity, quality -> RecordAIAssessment."""
