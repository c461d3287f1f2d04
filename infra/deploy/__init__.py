"""``socialops plan`` / ``socialops deploy``: reconcile EventBridge Scheduler schedules
with the compiled build (ARCHITECTURE.md section 2). See ``desired`` (what should exist),
``plan`` (the difference), ``apply`` (make it so) and ``command`` (the CLI side).
"""
