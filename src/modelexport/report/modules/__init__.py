"""The built-in report modules, one per file; each registers through the entry-point group.

Nothing here is imported by the core: the builder finds these the same way it
finds a third-party module, through `modelexport.report_modules`.
"""
