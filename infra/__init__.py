"""Build-time code: the command line, validation, compile, and (later) deploy.

May import ``schema``; nothing at run time (``functions``) imports this package.
"""
