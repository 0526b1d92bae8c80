"""A small, faithful model of `terraform show -json <planfile>` output (format_version 1.2).

Only the Python 3.11 standard library is used.

How values are written by scenario code
---------------------------------------
A resource is described by a *spec*: a dict from attribute name to one of

* ``C(v)``            the attribute is set in configuration to the constant ``v``
                      (``configuration`` gets ``{"constant_value": v}``, the planned value is ``v``);
* ``R(ref, ..., v=U)`` the attribute is set in configuration to an expression with references
                      (``configuration`` gets ``{"references": [...]}`` with every prefix repeated
                      as Terraform does, the planned value is ``v``; ``U`` when it is only known
                      after apply);
* ``B(item, ...)``    nested blocks written in configuration (each item is itself a spec);
* ``A(item, ..., refs=[...])`` nested blocks of an azurerm "attributes as blocks" argument
                      (``security_rule``, ``route``, ``subnet``): Terraform turns those into ONE
                      attribute expression, so ``configuration`` gets either a single
                      ``constant_value`` list or a single ``references`` list for the whole
                      argument;
* ``S(x)``            sensitive (``after_sensitive``/``sensitive_values`` get ``true`` there);
* anything else       a value that is not in configuration (provider default or computed
                      attribute), possibly containing ``U`` (unknown until apply), ``UL``
                      (unknown list/block) or ``UM`` (unknown map).

The renderer reproduces what Terraform's jsonplan/jsonstate/jsonconfig packages emit:

* ``after`` omits unknown object attributes and replaces unknown list elements with null;
* ``after_unknown`` has ``true`` at unknown leaves, omits known object attributes, keeps arrays
  element by element (``false`` for known scalars) and is ``{}`` when the value is wholly known;
* ``before_sensitive``/``after_sensitive``: ``true`` at sensitive values, ``false`` for null
  values (so ``before_sensitive: false`` on create), unknown lists/maps become ``[]``/``{}``;
* object keys of values are sorted (cty), resources are sorted by address as Terraform sorts
  them (module path first, managed before data, then type, name, index);
* ``planned_values`` omits deleted resources; ``prior_state`` holds every existing resource and
  the data sources read during planning; ``configuration`` addresses are module-relative.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any


# ----------------------------------------------------------------------------- value markers


class _Unknown:
    """A value only known after apply. ``kind`` is "prim", "list" or "map"."""

    def __init__(self, kind: str):
        self.kind = kind

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<unknown {self.kind}>"


U = _Unknown("prim")
UL = _Unknown("list")
UM = _Unknown("map")


@dataclass
class S:
    """Sensitive value (or spec)."""

    x: Any


@dataclass
class C:
    """Configured constant."""

    v: Any


class R:
    """Configured expression with references; ``v`` is the planned value."""

    def __init__(self, *refs: str, v: Any = U):
        if not refs:
            raise ValueError("R() needs at least one reference")
        self.refs = list(refs)
        self.v = v


class B:
    """Configured nested blocks (each item a spec dict)."""

    def __init__(self, *items: dict):
        self.items = list(items)


class A:
    """Configured nested blocks of an "attributes as blocks" argument."""

    def __init__(self, *items: dict, refs: list[str] | None = None):
        self.items = list(items)
        self.refs = list(refs or [])


# ----------------------------------------------------------------------------- references


_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\["([^"]*)"\]')


def _steps(rest: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(rest):
        m = _STEP.match(rest, pos)
        if not m:
            raise ValueError(f"cannot parse traversal step in {rest!r} at {pos}")
        out.append(m.group(0))
        pos = m.end()
    return out


def expand_reference(expr: str) -> list[str]:
    """Expand one static traversal the way Terraform's jsonconfig.marshalExpression does.

    ``azurerm_subnet.nodes.id`` -> [``azurerm_subnet.nodes.id``, ``azurerm_subnet.nodes``];
    ``module.net.subnet_ids["aks"]`` -> [..., ``module.net.subnet_ids``, ``module.net``];
    ``azurerm_subnet.this["aks"].id`` -> [..., ``azurerm_subnet.this["aks"]``, ``azurerm_subnet.this``].
    """
    head = re.match(r"[A-Za-z_][A-Za-z0-9_-]*", expr)
    if not head:
        raise ValueError(expr)
    root = head.group(0)
    steps = _steps(expr[head.end():])
    extra: list[str] = []
    if root in ("var", "local", "each", "count", "path", "terraform", "self"):
        subject = root + steps[0]
        remaining = steps[1:]
    elif root == "module":
        call = "module" + steps[0]
        i = 1
        if i < len(steps) and steps[i].startswith("["):
            call += steps[i]
            i += 1
        if i < len(steps) and steps[i].startswith("."):
            subject = call + steps[i]
            remaining = steps[i + 1:]
            extra = [call]
        else:
            subject = call
            remaining = steps[i:]
            if call != "module" + steps[0]:
                extra = ["module" + steps[0]]
    else:
        if root == "data":
            base = "data" + steps[0] + steps[1]
            i = 2
        else:
            base = root + steps[0]
            i = 1
        subject = base
        if i < len(steps) and steps[i].startswith("["):
            subject = base + steps[i]
            extra = [base]
            i += 1
        remaining = steps[i:]
    out = []
    rem = list(remaining)
    while rem:
        out.append(subject + "".join(rem))
        rem = rem[:-1]
    out.append(subject)
    out.extend(extra)
    return out


def references(*exprs: str) -> list[str]:
    out: list[str] = []
    for e in exprs:
        out.extend(expand_reference(e))
    return out


# ----------------------------------------------------------------------------- spec processing


def spec_value(spec: Any) -> Any:
    """The planned value tree of a spec (markers U/UL/UM/S kept)."""
    if isinstance(spec, C):
        return spec.v
    if isinstance(spec, R):
        return spec.v
    if isinstance(spec, S):
        return S(spec_value(spec.x))
    if isinstance(spec, (B, A)):
        return [spec_obj_value(i) for i in spec.items]
    return spec


def spec_obj_value(spec: dict) -> dict:
    return {k: spec_value(v) for k, v in spec.items()}


def _configured(spec: Any) -> bool:
    if isinstance(spec, S):
        return _configured(spec.x)
    return isinstance(spec, (C, R, B, A))


def spec_expressions(spec: dict) -> dict:
    """`expressions` of a configuration block."""
    out: dict = {}
    for k in sorted(spec):
        v = spec[k]
        if isinstance(v, S):
            v = v.x
        if isinstance(v, C):
            out[k] = {"constant_value": strip_markers(v.v)}
        elif isinstance(v, R):
            out[k] = {"references": references(*v.refs)}
        elif isinstance(v, B):
            out[k] = [spec_expressions(i) for i in v.items]
        elif isinstance(v, A):
            if v.refs:
                out[k] = {"references": references(*v.refs)}
            else:
                out[k] = {"constant_value": [_attr_block_constant(i) for i in v.items]}
    return out


def _attr_block_constant(item: dict) -> dict:
    out = {}
    for k in sorted(item):
        v = item[k]
        if isinstance(v, S):
            v = v.x
        out[k] = strip_markers(v.v) if isinstance(v, C) else None
    return out


def strip_markers(v: Any) -> Any:
    """A constant value: sensitive wrappers removed (constants never contain unknowns)."""
    if isinstance(v, S):
        return strip_markers(v.x)
    if isinstance(v, dict):
        return {k: strip_markers(x) for k, x in sorted(v.items())}
    if isinstance(v, list):
        return [strip_markers(x) for x in v]
    if isinstance(v, _Unknown):
        raise ValueError("unknown value in a constant")
    return v


# ----------------------------------------------------------------------------- value rendering


def _unwrap(v: Any) -> Any:
    while isinstance(v, S):
        v = v.x
    return v


def has_unknown(v: Any) -> bool:
    v = _unwrap(v)
    if isinstance(v, _Unknown):
        return True
    if isinstance(v, dict):
        return any(has_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(has_unknown(x) for x in v)
    return False


def omit_unknowns(v: Any) -> Any:
    """jsonplan.omitUnknowns (unknown object attributes dropped, unknown list items -> null)."""
    v = _unwrap(v)
    if isinstance(v, dict):
        out = {}
        for k in sorted(v):
            x = _unwrap(v[k])
            if isinstance(x, _Unknown):
                continue
            out[k] = omit_unknowns(x)
        return out
    if isinstance(v, list):
        return [None if isinstance(_unwrap(x), _Unknown) else omit_unknowns(x) for x in v]
    if isinstance(v, _Unknown):
        raise ValueError("top-level unknown")
    return v


def unknown_as_bool(v: Any) -> Any:
    """jsonplan.unknownAsBool."""
    v = _unwrap(v)
    if v is None:
        return False
    if isinstance(v, _Unknown):
        return True
    if isinstance(v, dict):
        out = {}
        for k in sorted(v):
            b = unknown_as_bool(v[k])
            if b is not False:
                out[k] = b
        return out
    if isinstance(v, list):
        return [unknown_as_bool(x) for x in v]
    return False


def sensitive_as_bool(v: Any) -> Any:
    """jsonstate.SensitiveAsBool."""
    if isinstance(v, S):
        return True
    if v is None:
        return False
    if isinstance(v, _Unknown):
        return {"prim": False, "list": [], "map": {}}[v.kind]
    if isinstance(v, dict):
        out = {}
        for k in sorted(v):
            b = sensitive_as_bool(v[k])
            if b is not False:
                out[k] = b
        return out
    if isinstance(v, list):
        return [sensitive_as_bool(x) for x in v]
    return False


def known_value(v: Any) -> Any:
    """A wholly known value (state / before), markers removed."""
    v = _unwrap(v)
    if isinstance(v, _Unknown):
        raise ValueError("unknown value in a known (state) value")
    if isinstance(v, dict):
        return {k: known_value(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [known_value(x) for x in v]
    return v


def fill_unknowns(v: Any, known: dict, path: str = "") -> Any:
    """Replace unknown markers by the values in ``known`` (keyed by dotted path, ``[i]`` for
    list items, e.g. ``"default_node_pool[0].node_count"``). Used for existing resources."""
    if isinstance(v, S):
        return S(fill_unknowns(v.x, known, path))
    if path in known:
        return known[path]
    if isinstance(v, _Unknown):
        raise ValueError(f"no known value given for computed attribute {path!r}")
    if isinstance(v, dict):
        return {k: fill_unknowns(x, known, f"{path}.{k}" if path else k) for k, x in v.items()}
    if isinstance(v, list):
        return [fill_unknowns(x, known, f"{path}[{i}]") for i, x in enumerate(v)]
    return v


# ----------------------------------------------------------------------------- addresses


def _index_str(index: Any) -> str:
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return f'["{index}"]'


def _sort_index(index: Any) -> tuple:
    if index is None:
        return (0, 0, "")
    if isinstance(index, int):
        return (1, index, "")
    return (2, 0, index)


@dataclass
class Instance:
    type: str
    name: str
    module: tuple  # ((call name, instance key or None), ...)
    index: Any
    mode: str
    action: str  # create | no-op | update | delete | replace | read
    before: Any  # value tree (known) or None
    after: Any  # value tree or None
    schema_version: int
    action_reason: str | None = None
    depends_on: list[str] = field(default_factory=list)

    @property
    def module_address(self) -> str:
        return ".".join(f"module.{n}{_index_str(k)}" for n, k in self.module)

    @property
    def rel_address(self) -> str:
        p = "data." if self.mode == "data" else ""
        return f"{p}{self.type}.{self.name}{_index_str(self.index)}"

    @property
    def address(self) -> str:
        m = self.module_address
        return f"{m}.{self.rel_address}" if m else self.rel_address

    def sort_key(self) -> tuple:
        mod = tuple((n, _sort_index(k)) for n, k in self.module)
        return (len(mod) > 0, mod, 0 if self.mode == "managed" else 1, self.type, self.name,
                _sort_index(self.index))


@dataclass
class ConfigResource:
    type: str
    name: str
    mode: str
    expressions: dict
    schema_version: int
    count_expression: dict | None = None
    for_each_expression: dict | None = None
    depends_on: list[str] | None = None

    @property
    def address(self) -> str:
        p = "data." if self.mode == "data" else ""
        return f"{p}{self.type}.{self.name}"

    def render(self) -> dict:
        out: dict = {
            "address": self.address,
            "mode": self.mode,
            "type": self.type,
            "name": self.name,
            "provider_config_key": "azurerm" if self.type.startswith("azurerm_") else self.type.split("_")[0],
        }
        if self.expressions:
            out["expressions"] = self.expressions
        out["schema_version"] = self.schema_version
        if self.count_expression is not None:
            out["count_expression"] = self.count_expression
        if self.for_each_expression is not None:
            out["for_each_expression"] = self.for_each_expression
        if self.depends_on:
            out["depends_on"] = self.depends_on
        return out


@dataclass
class ConfigModule:
    outputs: dict = field(default_factory=dict)  # name -> output json
    resources: dict = field(default_factory=dict)  # address -> ConfigResource
    module_calls: dict = field(default_factory=dict)  # name -> dict(source, expressions, ..., module)
    variables: dict = field(default_factory=dict)  # name -> variable json

    def render(self) -> dict:
        out: dict = {}
        if self.outputs:
            out["outputs"] = {k: self.outputs[k] for k in sorted(self.outputs)}
        if self.resources:
            rs = list(self.resources.values())
            managed = sorted((r for r in rs if r.mode == "managed"), key=lambda r: r.address)
            data = sorted((r for r in rs if r.mode == "data"), key=lambda r: r.address)
            out["resources"] = [r.render() for r in managed + data]
        if self.module_calls:
            calls = {}
            for name in sorted(self.module_calls):
                mc = self.module_calls[name]
                c: dict = {"source": mc["source"]}
                if mc.get("expressions"):
                    c["expressions"] = mc["expressions"]
                if mc.get("count_expression"):
                    c["count_expression"] = mc["count_expression"]
                if mc.get("for_each_expression"):
                    c["for_each_expression"] = mc["for_each_expression"]
                c["module"] = mc["module"].render()
                if mc.get("version_constraint"):
                    c["version_constraint"] = mc["version_constraint"]
                calls[name] = c
            out["module_calls"] = calls
        if self.variables:
            out["variables"] = {k: self.variables[k] for k in sorted(self.variables)}
        return out


def variable_decl(default: Any = None, description: str | None = None, sensitive: bool = False,
                  has_default: bool = False) -> dict:
    d: dict = {}
    if has_default or default is not None:
        d["default"] = default
    if description:
        d["description"] = description
    if sensitive:
        d["sensitive"] = True
    return d


def output_decl(*refs: str, sensitive: bool = False, description: str | None = None,
                constant: Any = None) -> dict:
    d: dict = {}
    if sensitive:
        d["sensitive"] = True
    if refs:
        d["expression"] = {"references": references(*refs)}
    else:
        d["expression"] = {"constant_value": constant}
    if description:
        d["description"] = description
    return d


# ----------------------------------------------------------------------------- plan


PROVIDER = "registry.terraform.io/hashicorp/azurerm"


class Plan:
    def __init__(self, terraform_version: str = "1.9.8", provider_constraint: str = "~> 4.14",
                 timestamp: str = "2025-06-12T09:41:27Z", provider_expressions: dict | None = None):
        self.terraform_version = terraform_version
        self.provider_constraint = provider_constraint
        self.timestamp = timestamp
        self.provider_expressions = provider_expressions if provider_expressions is not None else {
            "features": [{}],
            "subscription_id": {"references": ["var.subscription_id"]},
        }
        self.variables: dict[str, Any] = {}
        self.instances: list[Instance] = []
        self.root = ConfigModule()
        self.outputs: dict[str, dict] = {}  # name -> {"value": v or U, "sensitive": bool, "type": ...}

    # -- configuration tree
    def module(self, path: tuple) -> ConfigModule:
        m = self.root
        for name in path:
            m = m.module_calls[name]["module"]
        return m

    def module_call(self, name: str, source: str, expressions: dict, parent: tuple = (),
                    for_each: dict | None = None, count: dict | None = None,
                    version: str | None = None) -> ConfigModule:
        mod = ConfigModule()
        self.module(parent).module_calls[name] = {
            "source": source,
            "expressions": expressions,
            "for_each_expression": for_each,
            "count_expression": count,
            "module": mod,
            "version_constraint": version,
        }
        return mod

    def var(self, name: str, value: Any, decl: dict | None = None):
        self.variables[name] = value
        self.root.variables[name] = decl if decl is not None else {}

    def output(self, name: str, value: Any, *refs: str, sensitive: bool = False,
               type_: Any = "string"):
        self.root.outputs[name] = output_decl(*refs, sensitive=sensitive)
        self.outputs[name] = {"value": value, "sensitive": sensitive, "type": type_}

    # -- resources
    def add(self, type_: str, name: str, spec: dict, *, module: tuple = (), index: Any = None,
            action: str = "create", mode: str = "managed", schema_version: int = 0,
            known: dict | None = None, before_known: dict | None = None,
            for_each: dict | None = None, count: dict | None = None,
            depends_on: list[str] | None = None, action_reason: str | None = None,
            config: bool = True, state_depends_on: list[str] | None = None) -> Instance:
        """Add one resource instance.

        ``spec``: attribute specs (see module docstring); ``id`` defaults to unknown.
        ``action``: create / no-op / update / delete / replace / read / state-only ("data"
        sources read during planning, present only in prior_state).
        ``known``: for existing objects, values of computed attributes (path -> value).
        """
        spec = dict(spec)
        spec.setdefault("id", U)
        value = spec_obj_value(spec)
        module_path = tuple((m, None) if isinstance(m, str) else m for m in module)
        before = after = None
        if action in ("no-op", "delete", "state"):
            before = fill_unknowns(value, known or {})
            after = before if action in ("no-op", "state") else None
        elif action == "create":
            after = value
        elif action in ("update", "replace"):
            before = fill_unknowns(value, before_known or known or {})
            after = fill_unknowns(value, known or {}) if known is not None and action == "update" else value
        elif action == "read":
            after = value
        else:
            raise ValueError(action)
        inst = Instance(type_, name, module_path, index, mode, action, before, after,
                        schema_version, action_reason, state_depends_on or [])
        self.instances.append(inst)
        if config:
            cmod = self.module(tuple(m for m, _ in module_path))
            cr = ConfigResource(type_, name, mode, spec_expressions({k: v for k, v in spec.items()}),
                                schema_version, count, for_each,
                                depends_on)
            key = cr.address
            if key not in cmod.resources:
                cmod.resources[key] = cr
        return inst

    # -- rendering
    def _values_module_tree(self, insts: list[Instance], value_of) -> dict:
        root: dict = {"resources": [], "children": {}}
        for inst in sorted(insts, key=lambda i: i.sort_key()):
            node = root
            prefix = ""
            for n, k in inst.module:
                prefix = f"{prefix}.module.{n}{_index_str(k)}" if prefix else f"module.{n}{_index_str(k)}"
                node = node["children"].setdefault(prefix, {"resources": [], "children": {}})
            node["resources"].append(inst)

        def render(node, address):
            out: dict = {}
            rs = []
            for inst in node["resources"]:
                v = value_of(inst)
                r = {
                    "address": inst.address,
                    "mode": inst.mode,
                    "type": inst.type,
                    "name": inst.name,
                }
                if inst.index is not None:
                    r["index"] = inst.index
                r["provider_name"] = PROVIDER if inst.type.startswith("azurerm_") else \
                    f"registry.terraform.io/hashicorp/{inst.type.split('_')[0]}"
                r["schema_version"] = inst.schema_version
                r["values"] = v[0]
                r["sensitive_values"] = v[1]
                if len(v) > 2 and v[2]:
                    r["depends_on"] = v[2]
                rs.append(r)
            if rs:
                out["resources"] = rs
            if address:
                out["address"] = address
            if node["children"]:
                out["child_modules"] = [render(node["children"][k], k)
                                        for k in sorted(node["children"])]
            return out

        return render(root, "")

    def _change(self, inst: Instance) -> dict:
        actions = {
            "create": ["create"], "no-op": ["no-op"], "update": ["update"],
            "delete": ["delete"], "replace": ["delete", "create"], "read": ["read"],
        }[inst.action]
        ch: dict = {"actions": actions}
        ch["before"] = known_value(inst.before) if inst.before is not None else None
        if inst.after is None:
            ch["after"] = None
            ch["after_unknown"] = {}
        elif has_unknown(inst.after):
            ch["after"] = omit_unknowns(inst.after)
            ch["after_unknown"] = unknown_as_bool(inst.after)
        else:
            ch["after"] = known_value(inst.after)
            ch["after_unknown"] = {}
        ch["before_sensitive"] = sensitive_as_bool(inst.before)
        ch["after_sensitive"] = sensitive_as_bool(inst.after)
        return ch

    def render(self) -> dict:
        out: dict = {"format_version": "1.2", "terraform_version": self.terraform_version}
        if self.variables:
            out["variables"] = {k: {"value": self.variables[k]} for k in sorted(self.variables)}

        planned = [i for i in self.instances if i.action not in ("delete", "state")]
        pv: dict = {}
        if self.outputs:
            outs = {}
            for k in sorted(self.outputs):
                o = self.outputs[k]
                entry: dict = {"sensitive": o["sensitive"]}
                if not has_unknown(o["value"]):
                    entry["type"] = o["type"]
                    entry["value"] = known_value(o["value"])
                outs[k] = entry
            pv["outputs"] = outs
        pv["root_module"] = self._values_module_tree(
            planned,
            lambda i: (omit_unknowns(i.after), sensitive_as_bool(i.after)))
        out["planned_values"] = pv

        changes = [i for i in self.instances if i.action != "state"]
        rcs = []
        for inst in sorted(changes, key=lambda i: i.sort_key()):
            rc: dict = {"address": inst.address}
            if inst.module:
                rc["module_address"] = inst.module_address
            rc["mode"] = inst.mode
            rc["type"] = inst.type
            rc["name"] = inst.name
            if inst.index is not None:
                rc["index"] = inst.index
            rc["provider_name"] = PROVIDER if inst.type.startswith("azurerm_") else \
                f"registry.terraform.io/hashicorp/{inst.type.split('_')[0]}"
            rc["change"] = self._change(inst)
            if inst.action_reason:
                rc["action_reason"] = inst.action_reason
            rcs.append(rc)
        out["resource_changes"] = rcs

        if self.outputs:
            oc = {}
            for k in sorted(self.outputs):
                o = self.outputs[k]
                ch: dict = {"actions": ["create"], "before": None}
                if has_unknown(o["value"]):
                    ch["after_unknown"] = True
                else:
                    ch["after"] = known_value(o["value"])
                    ch["after_unknown"] = False
                ch["before_sensitive"] = o["sensitive"]
                ch["after_sensitive"] = o["sensitive"]
                oc[k] = ch
            out["output_changes"] = oc

        existing = [i for i in self.instances if i.before is not None or i.action == "state"]
        if existing:
            out["prior_state"] = {
                "format_version": "1.0",
                "terraform_version": self.terraform_version,
                "values": {
                    "root_module": self._values_module_tree(
                        existing,
                        lambda i: (known_value(i.before), sensitive_as_bool(i.before),
                                   i.depends_on)),
                },
            }

        pc = {"name": "azurerm", "full_name": PROVIDER}
        if self.provider_constraint:
            pc["version_constraint"] = self.provider_constraint
        if self.provider_expressions:
            pc["expressions"] = self.provider_expressions
        out["configuration"] = {
            "provider_config": {"azurerm": pc},
            "root_module": self.root.render(),
        }
        out["timestamp"] = self.timestamp
        out["applyable"] = True
        out["complete"] = True
        out["errored"] = False
        return out


def dumps_pretty(doc: dict) -> str:
    """`terraform show -json plan | jq .` layout: 2-space indent, no ASCII escaping."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def dumps_minified(doc: dict) -> str:
    r"""What `terraform show -json` itself writes: one line, then a newline. Go's encoding/json
    escapes <, > and & inside strings (``"~\u003e 4.14"``); jq turns them back when pretty
    printing, so only the minified form carries the escapes."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text + "\n"
