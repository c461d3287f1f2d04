"""IAM for ``socialops simulate``: every AWS call a function makes is checked against the
policies of that function's role, as the stack deploys them, and refused as AWS would
refuse it.

moto answers every call, whoever makes it. A function that calls an action, or a
resource, that its role does not grant works under moto and fails in AWS: the
simulation would then show a run that cannot happen. Here each handler invocation runs
as its function (``acting_as``), and each call it makes through boto3 is evaluated
before moto sees it:

- **the policies** are those of ``build/serverless/resources.json``, the compiled stack
  (infra/roles.py): the role's inline policies and the managed policies attached to it,
  their intrinsics resolved to the simulation's resources (``Provisioned``), its stack
  name, region and account;
- **what a call needs** (``needs``): the IAM action and the resource ARN of each part of
  it. A DynamoDB transaction needs each item's own action (``PutItem``, ``UpdateItem``,
  ``DeleteItem``, ``ConditionCheckItem``) on its table; a batch, the batch action on each
  table; a query, ``Query`` on the table or ``<table>/index/<name>``; S3's
  ``ListObjectsV2``, ``s3:ListBucket`` on the bucket; a read or write of an object,
  ``s3:GetObject`` or ``s3:PutObject`` on ``<bucket>/<key>``; SQS's batch calls, the
  single action; a secret named by its name, its ARN (Secrets Manager appends ``-`` and
  six characters); a schedule, ``schedule/<group>/<name>``, and, with a target role,
  ``iam:PassRole`` on that role;
- **the evaluation** (``Role.decide``): an explicit ``Deny`` wins, else an ``Allow``
  whose ``Action`` and ``Resource`` match (IAM's wildcards ``*`` and ``?``, actions
  without regard to case) and whose conditions hold, else the call is refused. The
  conditions known are the DynamoDB keys the stack uses, ``dynamodb:LeadingKeys`` (the
  partition key values a call touches) and ``dynamodb:Attributes`` (the attribute names
  it reads or writes, a read without a projection reading them all), with
  ``StringEquals``/``StringLike`` and their ``ForAllValues:``/``ForAnyValue:`` forms (as
  in IAM, ``ForAllValues:`` holds for an empty set). A statement with a condition this
  does not know does not apply: it allows, or denies, nothing (the tests check that the
  stack has none);
- **a refusal** raises the service's own error (``AccessDeniedException``; S3's and
  SQS's ``AccessDenied``; SNS's ``AuthorizationError``) with AWS's message, so the
  function meets it where AWS would put it, and is kept in ``Checker.denied``, which the
  simulation reports;
- **S3's missing objects**: to a caller that may not list the bucket, S3 answers a read
  of a missing key with 403 ``AccessDenied``, not 404 ``NoSuchKey``; so does this;
- **the event source mapping** that hands ``score`` the mentions queue polls with the
  function's role; Lambda will not create one whose role cannot receive, delete and read
  the queue's attributes (``Checker.mapping``, kept as a refusal).

Calls made outside a function (provisioning, deploying the schedules, the simulation's
own reads of the tables and the lake) are not checked. Decisions are kept per (function,
action, resource, condition values): once decided, a call costs working out what it needs
and a dictionary lookup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from infra.simulate.provision import Provisioned

Json = dict[str, Any]

ACTING: ContextVar[str | None] = ContextVar("socialops_simulate_acting", default=None)
ACTIVE: ContextVar[Checker | None] = ContextVar("socialops_simulate_iam", default=None)
# what an SQS event source mapping does with its function's role: Lambda refuses to create
# one whose role cannot (CreateEventSourceMapping's InvalidParameterValueException)
MAPPING_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
ALL_ATTRIBUTES = "*"  # a read without a projection: every attribute, matched by no list
ERROR_CODES = {"s3": "AccessDenied", "sqs": "AccessDenied", "sns": "AuthorizationError"}
SECRET_SUFFIX = "-AbCdEf"  # what Secrets Manager appends to a secret's name in its ARN
KNOWN_KEYS = ("dynamodb:LeadingKeys", "dynamodb:Attributes")
KNOWN_OPERATORS = ("StringEquals", "StringLike")
MAX_DENIED = 1000  # refusals kept for the report; the count goes on


class UnknownCondition(ValueError):
    """A statement's condition uses an operator or a key this evaluator does not know."""


# ---- the calls --------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """One action on one resource that a call needs, with the DynamoDB condition values
    (sorted tuples, empty when the call has none)."""

    action: str
    resource: str
    leading: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Where:
    """What ``needs`` must know to name a call's resources."""

    region: str
    account: str
    partition_keys: Mapping[str, str]  # table (or "<table>/index/<name>") -> its hash key


def _scalar(value: Any) -> str:
    """A key's value as IAM compares it: an attribute value's string (the parameters are
    checked as they are sent: a ``boto3.resource`` table's already serialized)."""
    if isinstance(value, dict) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("S", "N", "B"):
            return inner.decode("latin-1") if isinstance(inner, bytes) else str(inner)
    return str(value)


_PATH = re.compile(r"(?<![\w.#:\]])(#\w+|[A-Za-z_]\w*)")
_WORDS = {"set", "add", "remove", "delete", "and", "or", "not", "between", "in",
          "if_not_exists", "list_append", "attribute_exists", "attribute_not_exists",
          "attribute_type", "begins_with", "contains", "size"}  # fmt: skip


def expression_attributes(text: str | None, names: Mapping[str, str] | None) -> set[str]:
    """The top-level attribute names an update, condition or projection expression names
    (``#x`` resolved through ``names``; nested paths by their first name)."""
    if not text:
        return set()
    return {(names or {}).get(token, token) if token.startswith("#") else token
            for token in _tokens(text)}  # fmt: skip


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    """The expression's name tokens (``#x`` or a plain name), its words left out: an
    expression's text repeats from call to call (only its values change)."""
    return tuple(t for t in _PATH.findall(text) if t.startswith("#") or t.lower() not in _WORDS)


def _item_attributes(params: Mapping[str, Any], key: Mapping[str, Any], write: bool) -> tuple[str, ...]:  # fmt: skip
    names = params.get("ExpressionAttributeNames")
    attributes = set(key) | expression_attributes(params.get("ConditionExpression"), names)
    if "Item" in params:
        attributes |= set(params["Item"])
    attributes |= expression_attributes(params.get("UpdateExpression"), names)
    attributes |= set(params.get("AttributeUpdates") or {})
    if not write:
        projection = params.get("ProjectionExpression") or params.get("AttributesToGet")
        if isinstance(projection, list):
            attributes |= set(projection)
        elif projection:
            attributes |= expression_attributes(projection, names)
        else:
            attributes.add(ALL_ATTRIBUTES)
    return tuple(sorted(attributes))


def _hash_key_of(where: Where, table: str) -> str:
    """The partition key of a table (or an index) named by its name or its ARN."""
    return where.partition_keys.get(table.split(":table/", 1)[-1], "")


def _leading(where: Where, table: str, key: Mapping[str, Any]) -> tuple[str, ...]:
    hash_key = _hash_key_of(where, table)
    return (_scalar(key[hash_key]),) if hash_key and hash_key in key else ()


def _query_leading(where: Where, table: str, params: Mapping[str, Any]) -> tuple[str, ...]:
    hash_key = _hash_key_of(where, table)
    if not hash_key:
        return ()
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    for name, value in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params.get("KeyConditionExpression") or ""):  # fmt: skip
        if names.get(name, name) == hash_key and value in values:
            return (_scalar(values[value]),)
    legacy = (params.get("KeyConditions") or {}).get(hash_key) or {}
    return tuple(_scalar(v) for v in legacy.get("AttributeValueList", [])[:1])


def _table_arn(where: Where, table: str) -> str:
    if table.startswith("arn:"):
        return table
    return f"arn:aws:dynamodb:{where.region}:{where.account}:table/{table}"


TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}  # fmt: skip
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "BatchWriteItem"}


def _dynamodb(op: str, params: Mapping[str, Any], where: Where) -> list[Need]:
    def one(action: str, table: str, part: Mapping[str, Any]) -> Need:
        key = part.get("Key") or part.get("Item") or {}
        return Need(f"dynamodb:{action}", _table_arn(where, table), _leading(where, table, key),
                    _item_attributes(part, key, action in WRITES))  # fmt: skip

    if op in ("TransactWriteItems", "TransactGetItems"):
        needs = []
        for entry in params.get("TransactItems", []):
            for kind, part in entry.items():
                needs.append(one(TRANSACT[kind], part["TableName"], part))
        return needs
    if op == "BatchGetItem":
        return [one(op, table, {**request, "Key": key}) for table, request in params.get("RequestItems", {}).items()
                for key in request.get("Keys", [])]  # fmt: skip
    if op == "BatchWriteItem":
        return [one(op, table, request.get("PutRequest") or request.get("DeleteRequest") or {})
                for table, requests in params.get("RequestItems", {}).items() for request in requests]  # fmt: skip
    table = str(params.get("TableName", ""))
    if op in ("Query", "Scan"):
        index = params.get("IndexName")
        target = f"{table}/index/{index}" if index else table
        leading = _query_leading(where, target, params) if op == "Query" else ()
        return [Need(f"dynamodb:{op}", _table_arn(where, target), leading,
                     _item_attributes(params, {}, write=False))]  # fmt: skip
    if not table:
        return [Need(f"dynamodb:{op}", "*")]
    return [one(op, table, params)]


def _s3(op: str, params: Mapping[str, Any]) -> list[Need]:
    bucket = params.get("Bucket", "")
    if op in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
        return [Need("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
    obj = f"arn:aws:s3:::{bucket}/{params.get('Key', '')}"
    if op in ("GetObject", "HeadObject"):
        return [Need("s3:GetObject", obj)]
    if op == "CopyObject":
        source = params.get("CopySource")
        if isinstance(source, dict):
            source = f"{source.get('Bucket', '')}/{source.get('Key', '')}"
        return [Need("s3:GetObject", f"arn:aws:s3:::{str(source).lstrip('/')}"), Need("s3:PutObject", obj)]  # fmt: skip
    if op in ("PutObject", "DeleteObject", "GetObjectTagging", "PutObjectTagging"):
        return [Need(f"s3:{op}", obj)]
    if op == "DeleteObjects":
        return [Need("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{o.get('Key', '')}")
                for o in params.get("Delete", {}).get("Objects", [])]  # fmt: skip
    return [Need(f"s3:{op}", f"arn:aws:s3:::{bucket}" if bucket else "*")]


def _queue_arn(where: Where, params: Mapping[str, Any]) -> str:
    url = str(params.get("QueueUrl") or "")
    if url:  # https://sqs.<region>.amazonaws.com/<account>/<name>
        parts = url.rstrip("/").split("/")
        return f"arn:aws:sqs:{where.region}:{parts[-2]}:{parts[-1]}"
    return f"arn:aws:sqs:{where.region}:{where.account}:{params.get('QueueName', '')}"


def _named(where: Where, service: str, kind: str, name: str, suffix: str = "") -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:{service}:{where.region}:{where.account}:{kind}{name}{suffix}"


def needs(service: str, op: str, params: Mapping[str, Any], where: Where) -> list[Need]:
    """The actions on resources a call needs (see the module)."""
    if service == "dynamodb":
        return _dynamodb(op, params, where)
    if service == "s3":
        return _s3(op, params)
    if service == "sqs":
        return [Need(f"sqs:{op.removesuffix('Batch')}", _queue_arn(where, params))]
    if service == "sns":
        return [Need(f"sns:{op}", str(params.get("TopicArn") or params.get("TargetArn") or "*"))]
    if service == "secretsmanager":
        secret = str(params.get("SecretId") or params.get("Name") or "")
        arn = _named(where, "secretsmanager", "secret:", secret, SECRET_SUFFIX) if secret else "*"
        return [Need(f"secretsmanager:{op}", arn)]
    if service == "lambda":
        action = "lambda:InvokeFunction" if op in ("Invoke", "InvokeAsync") else f"lambda:{op}"
        return [Need(action, _named(where, "lambda", "function:", str(params.get("FunctionName", ""))))]  # fmt: skip
    if service == "scheduler":
        group = params.get("GroupName") or "default"
        out = [Need(f"scheduler:{op}", _named(where, "scheduler", f"schedule/{group}/", str(params.get("Name", ""))))]  # fmt: skip
        role = (params.get("Target") or {}).get("RoleArn")
        if role:
            out.append(Need("iam:PassRole", str(role)))
        return out
    if service == "sts" and op == "GetCallerIdentity":
        return []  # every caller may ask who it is
    return [Need(f"{service}:{op}", "*")]


# ---- the policies -------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _matches(patterns: Any, value: str, ignore_case: bool = False) -> bool:
    listed = patterns if isinstance(patterns, list) else [patterns]
    return any(_pattern(str(p), ignore_case).fullmatch(value) for p in listed)


def _check_condition(condition: Mapping[str, Any]) -> None:
    for operator, tests in condition.items():
        qualifier, _, base = operator.rpartition(":")
        if base not in KNOWN_OPERATORS or qualifier not in ("", "ForAllValues", "ForAnyValue"):
            raise UnknownCondition(f"condition operator {operator!r}")
        for key in tests:
            if key not in KNOWN_KEYS:
                raise UnknownCondition(f"condition key {key!r}")


def _one(base: str, listed: list[Any], value: str) -> bool:
    if base == "StringLike":
        return _matches(listed, value)
    return value in [str(w) for w in listed]


def _holds(condition: Mapping[str, Any], need: Need) -> bool:
    for operator, tests in condition.items():
        qualifier, _, base = operator.rpartition(":")
        for key, wanted in tests.items():
            values = need.leading if key == "dynamodb:LeadingKeys" else need.attributes
            listed = wanted if isinstance(wanted, list) else [wanted]
            if qualifier == "ForAllValues":
                ok = all(_one(base, listed, v) for v in values)
            elif qualifier == "ForAnyValue":
                ok = any(_one(base, listed, v) for v in values)
            else:  # a single-valued test of a multi-valued key: one value, matching
                ok = len(values) == 1 and _one(base, listed, values[0])
            if not ok:
                return False
    return True


@dataclass
class Role:
    """One function's role: its statements, resolved."""

    function: str
    name: str
    statements: list[Json]
    decided: dict[Need, str | None] = field(default_factory=dict)

    def decide(self, need: Need) -> str | None:
        """None when allowed; else why not ("no identity-based policy allows" or "an
        explicit deny")."""
        if need not in self.decided:
            allowed = denied = False
            for statement in self.statements:
                if not _matches(statement.get("Action", []), need.action, ignore_case=True):
                    continue
                if not _matches(statement.get("Resource", []), need.resource):
                    continue
                condition = statement.get("Condition") or {}
                try:
                    _check_condition(condition)
                except UnknownCondition:  # the statement does not apply: an Allow allows
                    continue  # nothing, a Deny denies nothing (the tests check the stack has none)
                if not _holds(condition, need):
                    continue
                if statement.get("Effect") == "Deny":
                    denied = True
                elif statement.get("Effect") == "Allow":
                    allowed = True
            self.decided[need] = (
                "with an explicit deny in an identity-based policy" if denied
                else None if allowed
                else f"because no identity-based policy allows the {need.action} action"
            )  # fmt: skip
        return self.decided[need]


def roles_of(resources: Mapping[str, Any], functions: Mapping[str, str], made: Provisioned) -> dict[str, Role]:  # fmt: skip
    """Each function's role, from the stack's resources: ``functions`` maps a function to
    its role's logical id; the intrinsics resolved to what ``made`` holds (a resource the
    simulation lacks: a name no call has)."""
    out: dict[str, Role] = {}
    for function, logical in functions.items():
        props = resources.get(logical, {}).get("Properties", {})
        statements: list[Json] = []
        for policy in props.get("Policies", []):
            statements += policy["PolicyDocument"]["Statement"]
        for resource in resources.values():
            if resource.get("Type") != "AWS::IAM::ManagedPolicy":
                continue
            if {"Ref": logical} in resource["Properties"].get("Roles", []):
                statements += resource["Properties"]["PolicyDocument"]["Statement"]
        resolved = [made.resolve(s, strict=False) for s in statements]
        for statement in resolved:  # IAM's forms: one action or resource, or a list
            for part in ("Action", "Resource"):
                if isinstance(statement.get(part), str):
                    statement[part] = [statement[part]]
        out[function] = Role(function, f"{made.stack}-{function}-role", resolved)
    return out


# ---- the checks ----------------------------------------------------------------------------


@dataclass
class Checker:
    """The roles, and what the calls made as each function were told."""

    roles: dict[str, Role]
    where: Where
    stack: str  # socialops-<stage>: the functions are <stack>-<function>
    checked: int = 0
    denied: list[str] = field(default_factory=list)
    refusals: int = 0

    @classmethod
    def of_build(cls, build: Path, made: Provisioned) -> Checker:
        """The roles of the compiled stack in ``build`` (``serverless/resources.json``,
        ``serverless/functions.json``), resolved to the resources ``made`` holds."""
        resources: Json = json.loads((build / "serverless" / "resources.json").read_text())["Resources"]  # fmt: skip
        functions = json.loads((build / "serverless" / "functions.json").read_text())
        owned = {name: str(spec["role"]) for name, spec in functions.items()}
        keys: dict[str, str] = {}
        for logical, resource in resources.items():
            if resource.get("Type") != "AWS::DynamoDB::Table":
                continue
            table = made.refs.get(logical, f"{made.stack}-{logical}")
            props = resource.get("Properties", {})
            keys[table] = _hash_key(props.get("KeySchema", []))
            for index in props.get("GlobalSecondaryIndexes", []) or []:
                keys[f"{table}/index/{index['IndexName']}"] = _hash_key(index["KeySchema"])
        where = Where(made.region, made.account, keys)
        return cls(roles_of(resources, owned, made), where, made.stack)

    def refusal(self, function: str, service: str, op: str, params: Mapping[str, Any]) -> tuple[Need, str] | None:  # fmt: skip
        """The first need of the call that ``function``'s role refuses, and why; None when
        every need is allowed (a function without a role here is not checked)."""
        role = self.roles.get(function)
        if role is None:
            return None
        self.checked += 1
        for need in needs(service, op, params, self.where):
            why = role.decide(need)
            if why is not None:
                return need, why
        return None

    def may_list(self, function: str, bucket: str) -> bool:
        role = self.roles.get(function)
        return role is None or role.decide(Need("s3:ListBucket", f"arn:aws:s3:::{bucket}")) is None

    def message(self, function: str, need: Need, why: str) -> str:
        role = self.roles[function]
        who = f"arn:aws:sts::{self.where.account}:assumed-role/{role.name}/{self.stack}-{function}"
        return f"User: {who} is not authorized to perform: {need.action} on resource: {need.resource} {why}"  # fmt: skip

    def mapping(self, function: str, queue_arn: str) -> None:
        """An SQS event source mapping of ``function`` on the queue: each action it polls
        with checked once, a refusal kept (Lambda would not create the mapping)."""
        role = self.roles.get(function)
        if role is None:
            return
        for action in MAPPING_ACTIONS:
            need = Need(action, queue_arn)
            why = role.decide(need)
            if why is not None:
                self.keep(function, "CreateEventSourceMapping", "the execution role cannot "
                          + self.message(function, need, why).split(" is not authorized to ", 1)[1])  # fmt: skip

    def keep(self, function: str, op: str, text: str) -> None:
        self.refusals += 1
        if len(self.denied) < MAX_DENIED:
            self.denied.append(f"{function} {op}: {text}")


def _hash_key(schema: list[Json]) -> str:
    return next((str(k["AttributeName"]) for k in schema if k.get("KeyType") == "HASH"), "")


def _error(client: Any, service: str, op: str, message: str) -> Exception:
    from botocore.exceptions import ClientError

    code = ERROR_CODES.get(service, "AccessDeniedException")
    answer: Any = {"Error": {"Code": code, "Message": message},
                   "ResponseMetadata": {"HTTPStatusCode": 403}}  # fmt: skip
    kind = client.exceptions.from_code(code) if hasattr(client, "exceptions") else ClientError
    return kind(answer, op)


@contextmanager
def acting_as(function: str) -> Iterator[None]:
    """The calls made within are ``function``'s (its role is checked)."""
    token = ACTING.set(function)
    try:
        yield
    finally:
        ACTING.reset(token)


def _as_function(name: str, handler: Any) -> Any:
    def invoke(event: Any, context: Any) -> Any:
        with acting_as(name):
            return handler(event, context)

    invoke.__wrapped__ = handler  # type: ignore[attr-defined]
    return invoke


@contextmanager
def enforced(checker: Checker) -> Iterator[Checker]:
    """Within: each function's handler runs as that function, and its calls are checked
    (see the module); everything as it was after."""
    import importlib

    from botocore.client import BaseClient
    from botocore.exceptions import ClientError

    from infra.simulate.aws import patched

    emit = BaseClient._emit_api_params
    call = BaseClient._make_api_call

    def checked_params(self: Any, api_params: Any, operation_model: Any, context: Any) -> Any:
        params = emit(self, api_params, operation_model, context)
        function = ACTING.get()
        if function is not None:
            service = self.meta.service_model.service_name
            found = checker.refusal(function, service, operation_model.name, params)
            if found is not None:
                text = checker.message(function, *found)
                checker.keep(function, operation_model.name, text)
                raise _error(self, service, operation_model.name, text)
        return params

    def missing_is_forbidden(self: Any, operation_name: str, api_params: Any) -> Any:
        try:
            return call(self, operation_name, api_params)
        except ClientError as error:
            function = ACTING.get()
            code = error.response.get("Error", {}).get("Code")
            if (function is None or self.meta.service_model.service_name != "s3"
                    or operation_name not in ("GetObject", "HeadObject")
                    or code not in ("NoSuchKey", "404", "NotFound")):  # fmt: skip
                raise
            bucket = str(api_params.get("Bucket", ""))
            if checker.may_list(function, bucket):
                raise
            need = Need("s3:ListBucket", f"arn:aws:s3:::{bucket}")
            text = checker.message(function, need, "because no identity-based policy allows "
                                   "the s3:ListBucket action (the key does not exist)")  # fmt: skip
            raise _error(self, "s3", operation_name, text) from None

    active = ACTIVE.set(checker)
    with ExitStack() as stack:
        stack.callback(ACTIVE.reset, active)
        stack.enter_context(patched(BaseClient, "_emit_api_params", checked_params))
        stack.enter_context(patched(BaseClient, "_make_api_call", missing_is_forbidden))
        for name in checker.roles:
            try:
                module = importlib.import_module(f"functions.{name}.handler")
            except ImportError:
                continue
            stack.enter_context(patched(module, "handler", _as_function(name, module.handler)))
        yield checker
