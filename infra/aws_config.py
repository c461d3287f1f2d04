"""What to tell a person whose AWS is not set up, or not reachable (plan, deploy, pause).

botocore says "You must specify a region." or "Unable to locate credentials"; these say
what to set. Exit codes follow the CLI's: 2 when the command cannot run as configured
(no region, no or refused credentials, a profile or endpoint that does not exist: fix the
configuration, then run it again), 1 when AWS could not be reached or refused the work.
"""

from __future__ import annotations

from botocore import exceptions as bce

USAGE, FAILED = 2, 1

REGION = (
    "no AWS region: set AWS_REGION (for example AWS_REGION=eu-west-1), or a region in the "
    "profile's ~/.aws/config"
)
CREDENTIALS = (
    "no AWS credentials: sign in (`aws sso login`, or `aws configure`), or set AWS_PROFILE, "
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (CI deploys with its OIDC role)"
)
# Error codes with which AWS refuses the caller's credentials rather than the request.
REFUSED_CREDENTIALS = frozenset({
    "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "InvalidToken",
    "UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch",
    "IncompleteSignature", "AuthFailure", "RequestExpired",
})  # fmt: skip
_SIGN_IN = (bce.SSOError, bce.TokenRetrievalError, bce.CredentialRetrievalError,
            bce.NoAuthTokenError, bce.UnknownCredentialError, bce.MetadataRetrievalError)  # fmt: skip
_SETTINGS = (bce.ConfigNotFound, bce.ConfigParseError, bce.InvalidConfigError,
             bce.InvalidRegionError, bce.UnknownEndpointError, bce.InvalidProxiesConfigError,
             bce.InvalidRetryConfigurationError, bce.InvalidEndpointConfigurationError,
             bce.InvalidIMDSEndpointError)  # fmt: skip
_UNREACHABLE = (bce.ConnectionError, bce.HTTPClientError)


def _configuration(exc: BaseException) -> str | None:
    """The message for an AWS configuration that cannot work, or None."""
    if isinstance(exc, bce.NoRegionError):
        return REGION
    if isinstance(exc, bce.NoCredentialsError):
        return CREDENTIALS
    if isinstance(exc, bce.PartialCredentialsError):
        return (f"incomplete AWS credentials ({exc}): set both AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY, or use a profile")  # fmt: skip
    if isinstance(exc, bce.ProfileNotFound):
        return (f"no such AWS profile ({exc}): check AWS_PROFILE against ~/.aws/config, or "
                "unset it")  # fmt: skip
    if isinstance(exc, _SIGN_IN):
        return f"cannot get AWS credentials ({exc}): sign in again (`aws sso login`)"
    if isinstance(exc, _SETTINGS):
        return f"the AWS configuration is not usable: {exc}"
    return None


def explain(exc: BaseException, endpoint_url: str | None) -> tuple[str, int] | None:
    """(message, exit code) for a botocore configuration or connection error, else None."""
    configuration = _configuration(exc)
    if configuration is not None:
        return configuration, USAGE
    if isinstance(exc, _UNREACHABLE):
        where = f"the endpoint {endpoint_url}" if endpoint_url else "AWS"
        check = "--endpoint-url and " if endpoint_url else ""
        return f"cannot reach {where} ({exc}): check {check}the network, then run it again", FAILED
    if isinstance(exc, bce.ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in REFUSED_CREDENTIALS:
            return (f"AWS refused the credentials ({code}): renew them (`aws sso login`) or "
                    "check AWS_PROFILE", USAGE)  # fmt: skip
    return None


def endpoint_problem(endpoint_url: str | None) -> str | None:
    """What is wrong with an ``--endpoint-url`` botocore cannot use (it raises ValueError)."""
    from urllib.parse import urlsplit

    if endpoint_url is None:
        return None
    parts = urlsplit(endpoint_url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    return f"--endpoint-url: expected a URL such as http://127.0.0.1:5000, found {endpoint_url!r}"


def report(command: str, endpoint_url: str | None, exc: BaseException) -> int:
    """Print ``socialops COMMAND: message`` on stderr for an AWS error; its exit code."""
    import sys

    message, code = explain(exc, endpoint_url) or (str(exc), FAILED)
    print(f"socialops: {command}: {message}", file=sys.stderr)
    return code
