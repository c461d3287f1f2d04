"""The AWS Lambda functions of socialops: a fixed set, configured by the compiled campaigns.

See functions/README.md. Imports ``schema`` (the models); never ``infra`` (build time).
"""
