"""The FAQ assistant: answers callers' questions from the knowledge files (see faq.engine).

Kept empty on purpose: ``import faq`` must stay light (no Sudachi, no database).
"""
