"""AWS for ``socialops simulate``: moto in-process (``mock_aws``), with its hot spots made
lighter.

**Why in-process, not a moto server.** Both run the same moto backends and the same
response code, and the handlers use the same real boto3 clients (botocore still builds,
signs (with a signature of zeros, below) and parses every request); a server adds only the HTTP transport on both sides: a
new TCP connection per request (werkzeug answers HTTP/1.0), werkzeug and Flask, moto's
per-request lookup of the service by host name. Measured on the demo fortnight
(``simulate campaigns/ --start 2027-01-11 --days 14``, 7,843 AWS calls): a simple call
(GetItem) costs 4.3 ms through the server and 1.5 ms in-process, and the server process
gave no parallelism (every call waits for its answer). The handlers' logic never sees the
transport, so nothing the simulation checks depends on it. Requests go to the real AWS
endpoint names and are answered by moto before they are sent; configured endpoint URLs
(``AWS_ENDPOINT_URL`` and friends) are ignored so that none can send them elsewhere.

**The lighter hot spots** (each the same answer as moto's own code, checked by
tests/integration/test_simulate_moto.py; undone when the simulation ends):

- DynamoDB transactions: moto deep-copies a table once per item of a transaction, to
  roll it back; here each table is copied once per transaction, and only what a rollback
  needs (``_snapshot``);
- DynamoDB responses: moto's generic serializer walks every attribute value's ten
  possible members, and botocore's parser walks them again; plain values (no binary) are
  written and read as they are;
- DynamoDB updates: moto parses each update expression twice a call and rebuilds each
  traverser's processing map at every node; here each text is parsed once and each map
  built once;
- SQS: for each message received moto recomputes every queue attribute (counting all
  messages, one clock read each) to read the retention period, and for each message sent
  to see whether the queue deduplicates; here it reads the retention period, and counts
  the messages in one pass;
- DynamoDB conditions: moto parses a condition expression three times a call, for each
  item of a transaction; here each (expression, names, values) once;
- DynamoDB values: moto asks five type questions before it compares, hashes or sizes a
  value (each query compares, sorts and sizes every candidate item); here strings and
  numbers are answered at once;
- every call: moto lists the response class's methods (``inspect.getmembers``); here once
  per class;
- DynamoDB updates: moto deep-copies the expression's tree for each check of an update
  (``copy.deepcopy``, memo and all); here each node is copied directly. The checks that
  read only the expression, its names and the table's keys (one clause of each kind, no
  overlapping paths, no key updated) pass or fail the same way every time: here they run
  once per (expression, names, keys) that passed;
- every call: moto tries every service's URL pattern (about 140), then the backend's
  patterns, rebuilding its URL table (S3's by reloading a module); here each URL's route
  is found once, and each backend's table built once;
- every call: botocore signs the request (canonical request, hash, four HMACs) and moto
  checks no signature; here the ``Authorization`` header has botocore's scope (moto reads
  the access key and region from it) and a signature of zeros. Presigned URLs are signed;
- DynamoDB queries and batch reads: moto sizes every item twice (a query's candidates,
  matched or not); here once a call;
- DynamoDB answers: moto converts each item to plain values asking every value four type
  questions and ``hasattr``; here plain strings, numbers and booleans are answered at once;
- DynamoDB updates: moto asks at every node of every traversal whether it is a node and
  whether the traverser processes it (``isinstance`` on abstract classes, a Python-level
  check); here once per node class;
- every call and every SQS message: moto draws request ids and receipt handles one
  character at a time (``random.choice`` 52 and 185 times); here a string at once
  (``random.choices``: moto's generator, as seeded, and its alphabet);
- every JSON error (DynamoDB raises and catches one inside an update for each attribute
  it adds to): moto's base class writes it as XML first, which its JSON class replaces;
  here only the JSON is written;
- every timestamp in an answer (each key of an S3 listing, each object read, each
  secret) is read with ``dateutil``'s general parser (a tokenizer, some 40 Python calls a
  character), by botocore and, for each key it lists, by moto's S3 serializer; here
  moto's two forms (ISO 8601 in UTC, and the HTTP date) are read directly, to the same
  ``datetime``, and anything else is botocore's.

Where the time goes: ``python -m cProfile -o prof -m infra.cli simulate campaigns/ --start
2027-01-11 --days 14 --no-report`` (the last four took the profiled run from 82 s to 70 s).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

_TRANSACTIONS = threading.Lock()
PLAIN = {"S": str, "N": str, "BOOL": bool, "NULL": bool}
PLAIN_SETS = ("SS", "NS")

# The environment the simulation gives the handlers' clients: moto answers the real
# endpoint names, so no configured endpoint may redirect them.
ENVIRONMENT = {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}


def _snapshot(table: Any, transact_items: Any) -> Any:
    """What a rollback of this transaction needs of ``table``: its item containers copied
    (puts and deletes replace entries) and a deep copy of each item an update changes in
    place. Equal, for the rollback, to moto's deep copy of the whole table."""
    import copy
    from collections import defaultdict

    from moto.dynamodb.models.dynamo_type import DynamoType

    clone = copy.copy(table)
    ranged = table.range_key_attr is not None
    clone.items = defaultdict(dict, {h: dict(r) if ranged else r for h, r in table.items.items()})
    for entry in transact_items:
        op = entry.get("Update")
        if not op or op.get("TableName") != table.name:
            continue
        key = op["Key"]
        hashed = DynamoType(key[table.hash_key_attr])
        current = table.items.get(hashed)
        if current is None:
            continue
        if not ranged:
            clone.items[hashed] = copy.deepcopy(current)
            continue
        ranged_key = DynamoType(key[table.range_key_attr])
        if ranged_key in current:
            clone.items[hashed][ranged_key] = copy.deepcopy(current[ranged_key])
    return clone


def _light_transactions() -> Any:
    """``DynamoDBBackend.transact_write_items`` that backs each table up once, lightly."""
    import copy

    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    original = models.DynamoDBBackend.transact_write_items

    class _Copy:
        def __init__(self, transact_items: Any) -> None:
            self.items = transact_items
            self.memo: dict[int, tuple[Any, Any]] = {}

        def deepcopy(self, value: Any, *args: Any) -> Any:
            if not isinstance(value, Table):
                return copy.deepcopy(value, *args)
            if id(value) not in self.memo:
                try:
                    backup = _snapshot(value, self.items)
                except Exception:  # an unexpected shape: moto's own way
                    backup = copy.deepcopy(value)
                self.memo[id(value)] = (value, backup)
            return self.memo[id(value)][1]

    def transact_write_items(self: Any, transact_items: Any) -> Any:
        with _TRANSACTIONS:
            models.copy = _Copy(transact_items)  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            finally:
                models.copy = copy

    return transact_write_items


def plain(value: Any) -> Any:
    """A DynamoDB attribute value as moto's serializer writes it, or None where that
    needs moto's serializer (binary values, anything unexpected)."""
    if type(value) is not dict or len(value) != 1:
        return None
    ((kind, inner),) = value.items()
    if kind in PLAIN:
        return value if type(inner) is PLAIN[kind] else None
    if kind in PLAIN_SETS:
        ok = type(inner) is list and all(type(v) is str for v in inner)
        return {kind: list(inner)} if ok else None
    if kind == "M" and type(inner) is dict:
        members = {k: plain(v) for k, v in inner.items()}
        return None if any(v is None for v in members.values()) else {"M": members}
    if kind == "L" and type(inner) is list:
        items = [plain(v) for v in inner]
        return None if any(v is None for v in items) else {"L": items}
    return None


def _plain_attribute_values() -> Any:
    """The JSON serializer's structure method, with attribute values written directly."""
    from moto.core.serialize import BaseJSONSerializer

    original = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue":
            written = plain(value)
            if written is not None:
                serialized[self.get_serialized_name(shape, key)] = written
                return
        original(self, serialized, value, shape, key)

    return serialize_structure


def _plain_attribute_answers() -> Any:
    """botocore's JSON structure handler reading plain attribute values (no binary) as
    they are: botocore walks each value's shape member by member, and each member of a
    map or a list again, to the same dict."""
    from botocore.parsers import BaseJSONParser

    original = BaseJSONParser._handle_structure

    def handle_structure(self: Any, shape: Any, value: Any) -> Any:
        if shape.name == "AttributeValue":
            read = plain(value)
            if read is not None:
                return read
        return original(self, shape, value)

    return handle_structure


def _retention_check() -> Any:
    """``is_message_valid_based_on_retention_period`` reading only the retention period
    (moto computes every attribute of the queue for it, once per message received)."""
    from moto.core.utils import unix_time

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str,
                                                   message: Any) -> bool:  # fmt: skip
        retention = self.get_queue(queue_name).message_retention_period
        return bool(retention + message.sent_timestamp / 1000 > unix_time())

    return is_message_valid_based_on_retention_period


def _queue_attributes() -> Any:
    """``Queue.attributes`` counting the messages in one pass with one clock reading
    (moto counts them three times, reading the clock for each message each time, and
    reads all attributes for one: once per message sent, to see whether the queue
    deduplicates by content). Otherwise moto's code."""
    import json

    from moto.core.utils import camelcase_to_underscores, unix_time_millis
    from moto.sqs.models import Queue

    names = {a: camelcase_to_underscores(a) for a in (*Queue.BASE_ATTRIBUTES,
             *Queue.FIFO_ATTRIBUTES, *Queue.KMS_ATTRIBUTES)}  # fmt: skip

    def counts(queue: Any) -> dict[str, int]:
        now = unix_time_millis()
        ready = delayed = invisible = 0
        for message in queue._messages:
            visible, waiting = now > message.visible_at, now < message.delayed_until
            invisible += not visible
            delayed += waiting
            ready += visible and not waiting
        return {"ApproximateNumberOfMessages": ready,
                "ApproximateNumberOfMessagesDelayed": delayed,
                "ApproximateNumberOfMessagesNotVisible": invisible}  # fmt: skip

    def attributes(self: Any) -> dict[str, Any]:
        result: dict[str, Any] = counts(self)
        wanted = [*self.BASE_ATTRIBUTES, *(self.FIFO_ATTRIBUTES if self.fifo_queue else ()),
                  *(self.KMS_ATTRIBUTES if self.kms_master_key_id else ())]  # fmt: skip
        result = {a: result[a] if a in result else getattr(self, names[a]) for a in wanted}
        if self.policy:
            result["Policy"] = self.policy
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy)
        return {k: str(v).lower() if isinstance(v, bool) else v for k, v in result.items()}

    return property(attributes)


def _processed_nodes() -> Any:
    """``DepthFirstTraverser.nodes_to_be_processed`` kept per traverser: moto rebuilds the
    processing map (a dict of bound methods) for every node of every update expression,
    ten traversals an update."""
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]

    original = DepthFirstTraverser.nodes_to_be_processed

    def nodes_to_be_processed(self: Any) -> Any:
        kept = self.__dict__.get("_lighter_nodes")
        if kept is None:
            kept = self.__dict__["_lighter_nodes"] = original(self)
        return kept

    return nodes_to_be_processed


def _typed_traversal() -> Any:
    """``DepthFirstTraverser.traverse_node_recursively`` answering its two type questions
    per node class once: whether a value is a ``Node``, and whether the traverser processes
    it. moto asks both with ``isinstance`` on abstract classes (``ABCMeta``'s Python-level
    check) at every node of every traversal, some ten traversals an update. An abstract
    class's answer depends on the value's class only; the walk and the processing are
    moto's."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    nodes: dict[type, bool] = {}
    processed: dict[tuple[type, tuple[type, ...]], bool] = {}

    def traverse_node_recursively(self: Any, node: Any, child_id: int = -1) -> Any:
        kind = type(node)
        if kind not in nodes:
            nodes[kind] = isinstance(node, Node)
        if not nodes[kind]:
            return node
        parent_node = node.parent
        if node.children is not None:
            for i, child_node in enumerate(node.children):
                self.pre_processing_of_child(node, i)
                self.traverse_node_recursively(child_node, i)
        wanted = self.nodes_to_be_processed()
        key = (kind, wanted)
        if key not in processed:
            processed[key] = isinstance(node, wanted)
        if processed[key]:
            node = self.process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    return traverse_node_recursively


def _plain_to_dict() -> Any:
    """``dynamo_to_dict`` (the DynamoDB answers' items as plain values) answering plain
    values at once: strings, numbers, booleans, lists and dicts of them, and string, number,
    boolean and null attribute values; moto asks each value four type questions and
    ``hasattr`` first. Anything else (binary, sets, model objects) is moto's own code."""
    from moto.dynamodb.models import utilities
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = utilities.dynamo_to_dict
    scalars = (str, int, float, bool, type(None))

    def dynamo_to_dict(obj: Any) -> Any:
        kind = type(obj)
        if kind in scalars:
            return obj
        if kind is dict:
            return {k: dynamo_to_dict(v) for k, v in obj.items()}
        if kind is list:
            return [dynamo_to_dict(v) for v in obj]
        if kind is DynamoType and obj.type in PLAIN and type(obj.value) in scalars:
            return {obj.type: obj.value}
        return original(obj)

    return dynamo_to_dict


def _sized_once_per_read() -> tuple[Any, Any, Any]:
    """``Table.query`` and ``BatchGetItem`` sizing each item once per call: moto sizes every
    item twice (all its attributes: a query's candidates, matched or not, for the 1 MB page
    limit; a batch's items for its 16 MB limit), and the read-back queries its due posts
    every 15 minutes, ``alert`` reads its buckets by key every 5. Within one read nothing
    changes an item, so ``Item.size`` is kept per item for the call (per thread); outside
    these reads it is moto's."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    size = Item.size
    local = threading.local()

    def sized(self: Any) -> int:
        memo = getattr(local, "memo", None)
        if memo is None:
            return int(size(self))
        if id(self) not in memo:
            memo[id(self)] = (self, size(self))  # the item kept: its id names no other
        return int(memo[id(self)][1])

    def once(read: Any) -> Any:
        def within(self: Any, *args: Any, **kwargs: Any) -> Any:
            outer = getattr(local, "memo", None)
            local.memo = {}
            try:
                return read(self, *args, **kwargs)
            finally:
                local.memo = outer

        return within

    return once(Table.query), once(DynamoHandler.batch_get_item), sized


def _parsed_once() -> Any:
    """``UpdateExpressionParser.make`` parsing each expression text once: moto parses an
    update's expression twice a call (to check its names, then to apply it) and never
    changes the tree (the validator works on a deep copy)."""
    from functools import lru_cache

    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    make = lru_cache(maxsize=1024)(UpdateExpressionParser.make)
    return classmethod(lambda cls, expression: make(expression))


def _conditions_parsed_once() -> Any:
    """``ConditionExpressionParser.parse`` keeping each (expression, names, values)'s tree
    and the names and values it found: moto parses a condition three times a call (to check
    the names used, then to evaluate it, in put_item and again in a transaction), for every
    item of a transaction. The tree is only read when evaluated; a parse that raises is not
    kept (it raises again)."""
    import json

    from moto.dynamodb.comparisons import ConditionExpressionParser

    original = ConditionExpressionParser.parse
    kept: dict[str, tuple[Any, list[str], list[str]]] = {}

    def parse(self: Any) -> Any:
        try:
            key = json.dumps([self.condition_expression, self.expression_attribute_names,
                              self.expression_attribute_values], sort_keys=True)  # fmt: skip
        except (TypeError, ValueError):  # values that are not JSON (binary): moto's way
            return original(self)
        if key not in kept:
            if len(kept) >= 4096:
                kept.clear()
            tree = original(self)
            kept[key] = (tree, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
        tree, names, values = kept[key]
        self.expr_attr_names_found[:] = names
        self.expr_attr_values_found[:] = values
        return tree

    return parse


def _scalar_fast_paths() -> tuple[Any, Any]:
    """``DynamoType.cast_value`` and ``DynamoType.size`` answering strings and numbers at
    once: moto asks five type questions first, for every comparison, hash and size (each
    query compares, sorts and sizes every candidate item). Other types go to moto's code;
    the answers are the same (a string's value, a number's Decimal; a string's UTF-8
    length, a number's stored size)."""
    from decimal import Decimal

    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.utilities import bytesize, number_size

    cast, size = DynamoType.__dict__["cast_value"].fget, DynamoType.size

    def cast_value(self: Any) -> Any:
        kind = self.type
        if kind == "S":
            return self.value
        if kind == "N":
            return Decimal(self.value)
        return cast(self)

    def scalar_size(self: Any) -> int:
        kind = self.type
        if kind == "S" and type(self.value) is str:
            return bytesize(self.value)
        if kind == "N":
            return number_size(str(self.value))
        return size(self)

    return property(cast_value), scalar_size


def _timestamps() -> Any:
    """botocore's ``parse_timestamp`` reading ``2027-01-11T09:00:00.000Z`` and ``Mon, 11
    Jan 2027 09:00:00 GMT`` without ``dateutil.parser``: the same ``datetime``, with the
    zone ``dateutil`` gives each form (``tzutc``, or ``tzlocal`` for a ``Z`` where the
    local zone is UTC: asked once); any other form goes to botocore."""
    import re
    from datetime import datetime
    from email.utils import parsedate_tz

    from botocore.utils import parse_timestamp

    iso = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z\Z")
    http_date = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\Z")
    zulu = parse_timestamp("2000-01-01T00:00:00Z").tzinfo
    gmt = parse_timestamp("Sat, 01 Jan 2000 00:00:00 GMT").tzinfo

    def parse(value: Any) -> Any:
        if isinstance(value, str):
            if iso.match(value):
                return datetime.fromisoformat(value[:-1]).replace(tzinfo=zulu)
            if http_date.match(value) and (parts := parsedate_tz(value)) is not None:
                return datetime(*parts[:6], tzinfo=gmt)
        return parse_timestamp(value)

    return parse


def _method_names() -> Any:
    """``method_names_from_class`` kept per class: moto lists a response class's methods
    (``inspect.getmembers``) on every call, to see whether it answers the action."""
    from moto.core.utils import method_names_from_class

    kept: dict[type, list[str]] = {}

    def method_names(cls: type) -> list[str]:
        if cls not in kept:
            kept[cls] = method_names_from_class(cls)
        return kept[cls]

    return method_names


def _clone(node: Any) -> Any:
    """An update expression's tree copied as ``copy.deepcopy`` copies it: each node anew,
    its children copied, its parent the copied parent; leaves (names, tokens) kept."""
    import copy

    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    def clone(old: Any, parent: Any) -> Any:
        new = object.__new__(type(old))
        for name, value in old.__dict__.items():
            if name == "parent":
                new.parent = parent
            elif name == "children" and type(value) is list:
                new.children = [clone(c, new) if isinstance(c, Node) else
                                c if type(c) is str else copy.deepcopy(c) for c in value]  # fmt: skip
            else:
                new.__dict__[name] = value if type(value) is str else copy.deepcopy(value)
        return new

    if not isinstance(node, Node) or node.parent is not None:
        return copy.deepcopy(node)
    return clone(node, None)


SYNTAX_CHECKS = ("ActionCountValidator", "OverlappingPathsValidator",
                 "UpdateHashRangeKeyValidator")  # fmt: skip


def _syntax_checked_once() -> Any:
    """``UpdateExpressionValidator.validate`` running the checks that read only the
    expression, its names and the table's keys (one ADD/SET/REMOVE clause each, no
    overlapping paths, no key attribute updated) once per (expression, names, keys): they
    raise or hand the tree back as it was, and moto runs them on every update (twice for a
    new item), the first two walking the tree once per node. The checks that read the item
    and the values run every time. A check that raised is not remembered (it raises again)."""
    import json

    from moto.dynamodb.parsing.validators import UpdateExpressionValidator

    init = UpdateExpressionValidator.__init__
    passed: dict[tuple[int, str, tuple[str, ...]], Any] = {}

    def __init__(self: Any, expression: Any, expression_attribute_names: Any,
                 expression_attribute_values: Any, item: Any, table: Any) -> None:  # fmt: skip
        init(self, expression, expression_attribute_names, expression_attribute_values,
             item, table)  # fmt: skip
        names = json.dumps(expression_attribute_names or {}, sort_keys=True)
        self._lighter = (expression, (id(expression), names, tuple(table.table_key_attrs)))

    def validate(self: Any) -> Any:
        expression, key = self._lighter
        known = key in passed and passed[key] is expression
        node = self.node_to_validate
        for processor in self.processors:
            if type(processor).__name__ in SYNTAX_CHECKS and known:
                continue
            node = processor.traverse(node)
            if type(processor).__name__ == SYNTAX_CHECKS[-1] and not known:
                if len(passed) >= 4096:
                    passed.clear()
                passed[key] = expression  # kept alive: its id names no other tree
        return node

    return __init__, validate


def _routed_once() -> Any:
    """``BotocoreStubber.process_request`` finding each URL's service and handler once:
    moto tries every service's URL pattern (about 140) and then its backend's URL patterns
    on every request. The passthrough and allow-list checks and the dispatch are moto's."""
    import re

    import moto.backend_index as backend_index
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.utils import get_equivalent_url_in_aws_domain

    original = BotocoreStubber.process_request
    routes: dict[str, tuple[str, str]] = {}
    handlers: dict[tuple[str, str], tuple[Any, Any]] = {}

    def backend_of(service: str) -> Any:
        import moto.backends as backends
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.core.base_backend import BackendDict

        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            return regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        return backend_dict["global"]

    compiled: dict[str, list[tuple[str, Any]]] = {}

    def patterns(service: str) -> list[tuple[str, Any]]:
        """The backend's URL patterns, compiled once: moto builds ``urls`` anew at each
        reading (S3's by reloading its ``urls`` module, for environment variables that
        cannot change within a simulation), and S3's keys make most of its URLs new."""
        if service not in compiled:
            compiled[service] = [(url, re.compile(url)) for url in backend_of(service).urls]
        return compiled[service]

    def route(clean_url: str) -> tuple[str, str] | None:
        for service, pattern in backend_index.backend_url_patterns:
            if pattern.match(clean_url):
                for url, regex in patterns(service):
                    if regex.match(clean_url):
                        return service, url
        return None

    def process_request(self: Any, request: Any) -> Any:
        from moto.core.exceptions import HTTPException
        from moto.core.request import normalize_request
        from moto.moto_api import recorder

        parsed, _ = get_equivalent_url_in_aws_domain(request.url)
        clean_url = f"{parsed.scheme}://{parsed.netloc}{parsed.path}"
        if clean_url not in routes:
            found = route(clean_url)
            if found is None:  # not for moto, or no handler: moto's own answer
                return original(self, request)
            if len(routes) >= 4096:
                routes.clear()
            routes[clean_url] = found
        service, url = routes[clean_url]
        if passthrough_url(clean_url) or passthrough_service(service):
            return None
        if not service_whitelisted(service):
            return original(self, request)  # moto raises ServiceNotWhitelisted
        backend = backend_of(service)
        kept = handlers.get((service, url))
        if kept is None or kept[0] is not backend:  # moto builds ``urls`` at each reading
            kept = handlers[(service, url)] = (backend, backend.urls[url])
        normalized = normalize_request(request)
        try:
            recorder._record_request(normalized)
            return kept[1](normalized, normalized.raw_url, normalized.headers)
        except HTTPException as error:
            return error.code, error.get_headers(), error.get_body()

    return process_request


def _unsigned() -> Any:
    """``SigV4Auth.add_auth`` for header-signed requests (S3's too) writing the headers as
    botocore does (date, token, payload hash, the ``Authorization`` scope moto reads the
    access key and region from) with a signature of zeros: moto checks no signature, and
    computing one (the canonical request, its hash, four HMACs) is a fifth of botocore's
    time per call. Presigned URLs and other signers are botocore's own."""
    from botocore.auth import S3SigV4Auth, SigV4Auth, get_current_datetime
    from botocore.exceptions import NoCredentialsError

    original = SigV4Auth.add_auth
    timestamp = "%Y%m%dT%H%M%SZ"  # botocore.auth.SIGV4_TIMESTAMP

    def add_auth(self: Any, request: Any) -> None:
        if type(self) not in (SigV4Auth, S3SigV4Auth):
            original(self, request)
            return None
        if self.credentials is None:
            raise NoCredentialsError()
        request.context["timestamp"] = get_current_datetime().strftime(timestamp)
        self._modify_request_before_signing(request)
        self._inject_signature_to_request(request, "0" * 64)
        return None

    return add_auth


def _json_errors() -> Any:
    """``JsonRESTError.__init__`` writing only its JSON body: moto's base class first writes
    the error as an XML document (``xmltodict``), which the JSON class then replaces. The
    DynamoDB update of an attribute not there yet raises and catches such an error inside
    moto (``ProvidedKeyDoesNotExist``), once for each counter a mention adds."""
    import json

    from werkzeug.exceptions import HTTPException

    def __init__(self: Any, error_type: str, message: str, _: str = "", **__: Any) -> None:
        HTTPException.__init__(self)
        self.error_type = error_type
        self.message = message
        self.description = json.dumps({"__type": self.error_type, "message": self.message})
        self.content_type = "application/json"

    return __init__


def _random_strings() -> tuple[Any, Any]:
    """``MotoRandom.get_random_string`` and SQS's ``generate_receipt_handle`` drawing a
    string's characters in one call (``choices``) from moto's own generator (seeded as
    moto seeds it) and alphabet; moto draws them one ``choice`` at a time, 52 for every
    request id, 185 for every message received."""
    import string

    from moto.moto_api._internal import mock_random

    def get_random_string(self: Any, length: int = 20, include_digits: bool = True,
                          lower_case: bool = False) -> str:  # fmt: skip
        pool = string.ascii_letters + (string.digits if include_digits else "")
        drawn = "".join(self.choices(pool, k=length))
        return drawn.lower() if lower_case else drawn

    def generate_receipt_handle() -> str:
        return "".join(mock_random.choices(string.ascii_lowercase, k=185))

    return get_random_string, generate_receipt_handle


@contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    """``owner.name`` is ``value`` within; as it was after (absent again if it was: an
    inherited method)."""
    absent = object()
    saved = owner.__dict__.get(name, absent)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if saved is absent:
            delattr(owner, name)
        else:
            setattr(owner, name, saved)


@contextmanager
def lighter_moto() -> Iterator[None]:
    """moto with the lighter hot spots above, as it was again afterwards."""
    from botocore import parsers as botocore_parsers
    from botocore import utils as botocore_utils
    from botocore.auth import SigV4Auth
    from botocore.parsers import BaseJSONParser
    from moto.core import responses
    from moto.core.botocore_stubber import BotocoreStubber
    from moto.core.exceptions import JsonRESTError
    from moto.core.serialize import BaseJSONSerializer
    from moto.dynamodb import responses as dynamodb_responses
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models import utilities as dynamodb_utilities
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator
    from moto.dynamodb.responses import DynamoHandler
    from moto.moto_api._internal.moto_random import MotoRandom
    from moto.sqs import models as sqs_models
    from moto.sqs.models import Queue, SQSBackend

    fast = _scalar_fast_paths()
    checked = _syntax_checked_once()
    to_dict = _plain_to_dict()
    sized = _sized_once_per_read()
    drawn = _random_strings()
    timestamps = _timestamps()
    with ExitStack() as stack:
        for owner, name, value in (
            (DynamoDBBackend, "transact_write_items", _light_transactions()),
            (BaseJSONSerializer, "_serialize_type_structure", _plain_attribute_values()),
            (BaseJSONParser, "_handle_structure", _plain_attribute_answers()),
            (DepthFirstTraverser, "nodes_to_be_processed", _processed_nodes()),
            (DepthFirstTraverser, "traverse_node_recursively", _typed_traversal()),
            (dynamodb_utilities, "dynamo_to_dict", to_dict),
            (Table, "query", sized[0]),
            (DynamoHandler, "batch_get_item", sized[1]),
            (Item, "size", sized[2]),
            (dynamodb_responses, "dynamo_to_dict", to_dict),
            (UpdateExpressionParser, "make", _parsed_once()),
            (ConditionExpressionParser, "parse", _conditions_parsed_once()),
            (DynamoType, "cast_value", fast[0]),
            (DynamoType, "size", fast[1]),
            (responses, "method_names_from_class", _method_names()),
            (SQSBackend, "is_message_valid_based_on_retention_period", _retention_check()),
            (Queue, "attributes", _queue_attributes()),
            (validators, "deepcopy", _clone),
            (UpdateExpressionValidator, "__init__", checked[0]),
            (UpdateExpressionValidator, "validate", checked[1]),
            (BotocoreStubber, "process_request", _routed_once()),
            (SigV4Auth, "add_auth", _unsigned()),
            (JsonRESTError, "__init__", _json_errors()),
            (MotoRandom, "get_random_string", drawn[0]),
            (sqs_models, "generate_receipt_handle", drawn[1]),
            (botocore_parsers, "DEFAULT_TIMESTAMP_PARSER", timestamps),  # botocore's answers
            (botocore_utils, "parse_timestamp", timestamps),  # moto's S3 listings
        ):
            stack.enter_context(patched(owner, name, value))
        yield


@contextmanager
def local_aws() -> Iterator[None]:
    """AWS for the simulation: moto in this process, lighter, its state dropped after."""
    from moto import mock_aws

    with lighter_moto(), mock_aws():
        yield


def table_items(name: str, region: str) -> Iterator[dict[str, Any]]:
    """The items moto holds in a table of the simulation's account, attribute name to
    moto's ``DynamoType`` (``.type``, ``.value``), read without a request. For the
    simulation's own scheduling only: a function always reads through its client."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][region].get_table(name)
    held: Any
    for held in table.items.values():
        for item in held.values() if table.has_range_key else [held]:
            yield item.attrs


def serve() -> None:
    """A moto server process (for tools that must reach AWS over HTTP, such as ``osls``
    in tests/integration/test_stack.py): port 0 (the system picks), its URL on stdout,
    until its stdin closes (the parent ended or died)."""
    import logging
    import sys

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()
    server.stop()


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on loopback in its own process; its URL."""
    import subprocess
    import sys
    from pathlib import Path

    process = subprocess.Popen(
        [sys.executable, "-c", "from infra.simulate.aws import serve; serve()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError("the local moto server did not start")
        yield url
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
