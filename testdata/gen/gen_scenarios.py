#!/usr/bin/env python3
"""Generate the Terraform plan JSON scenarios in testdata/scenarios/.

Usage (from the repository root):

    python3 testdata/gen/gen_scenarios.py           # (re)write every scenario
    python3 testdata/gen/gen_scenarios.py --check   # exit 1 if a committed file differs

Deterministic: no clock, no randomness; running it twice gives identical files.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path

sys.dont_write_bytecode = True  # keep __pycache__ out of the tree
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from azurerm import SECRET  # noqa: E402
from common import Scenario, to_toml  # noqa: E402
from tfplan import dumps_minified, dumps_pretty, expand_reference  # noqa: E402
import importlib  # noqa: E402

OUT = HERE.parent / "scenarios"

# Scenario modules, one per domain, in index order: each defines TITLE (its heading in the
# index) and scenarios(). Add a module on its own line.
MODULES = [
    "scenarios_nsg_routes_outbound",
    "scenarios_firewall_dns_private",
    "scenarios_brownfield",
    "scenarios_firewall_rule_forms",
    "scenarios_run_scope",
    "scenarios_plan_limits",
    "scenarios_proxy",
    "scenarios_return_path",
    "scenarios_aks_managed",
    "scenarios_existing_hub",
]


def groups() -> list[tuple[str, list[Scenario]]]:
    """(title, scenarios) per module, in MODULES order."""
    out = []
    for name in MODULES:
        mod = importlib.import_module(name)
        out.append((mod.TITLE, mod.scenarios()))
    return out


def all_scenarios() -> list[Scenario]:
    out = [s for _, group in groups() for s in group]
    names = [s.name for s in out]
    assert len(names) == len(set(names)), "duplicate scenario name"
    return out


# ----------------------------------------------------------------------------- self checks


def _mask_at(mask, path):
    for step in path:
        if mask is True:
            return True
        if isinstance(mask, dict):
            mask = mask.get(step, False)
        elif isinstance(mask, list):
            mask = mask[step] if isinstance(step, int) and step < len(mask) else False
        else:
            return False
    return mask is True


def _secret_paths(v, path=()):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _secret_paths(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _secret_paths(x, path + (i,))
    elif isinstance(v, str) and SECRET in v:
        yield path


def check_plan(name: str, doc: dict):
    """Consistency checks a real plan satisfies; they guard the generator, not the tool."""
    assert doc["format_version"] == "1.2", name
    rcs = doc["resource_changes"]
    addrs = [r["address"] for r in rcs]
    assert len(addrs) == len(set(addrs)), (name, "duplicate address")
    for rc in rcs:
        ch = rc["change"]
        for which, mask in (("before", "before_sensitive"), ("after", "after_sensitive")):
            for path in _secret_paths(ch[which]):
                assert _mask_at(ch[mask], path), (name, rc["address"], which, path)
        if ch["actions"] == ["create"]:
            assert ch["before"] is None and ch["before_sensitive"] is False, (name, rc["address"])
            assert ch["after_unknown"].get("id") is True or rc["mode"] == "data", \
                (name, rc["address"], "created resources have an unknown id")
    # secrets in root variables only for sensitive variables
    decls = doc["configuration"]["root_module"].get("variables", {})
    for k, v in doc.get("variables", {}).items():
        if any(True for _ in _secret_paths(v["value"])):
            assert decls.get(k, {}).get("sensitive"), (name, "secret in non-sensitive var", k)
    # configuration never carries a secret constant
    assert SECRET not in json.dumps(doc["configuration"]), (name, "secret in configuration")
    # every resource reference in the root configuration names a configured resource/module
    root = doc["configuration"]["root_module"]
    known = {r["address"] for r in root.get("resources", [])}
    calls = set(root.get("module_calls", {}))

    def walk(e):
        if isinstance(e, dict):
            if "references" in e and isinstance(e["references"], list):
                yield from e["references"]
            for k, x in e.items():
                if k != "references":
                    yield from walk(x)
        elif isinstance(e, list):
            for x in e:
                yield from walk(x)

    for r in root.get("resources", []):
        for ref in walk(r.get("expressions", {})):
            head = ref.split(".")[0]
            if head in ("var", "local", "each", "count", "path", "terraform"):
                continue
            if head == "module":
                assert ref.split(".")[1].split("[")[0] in calls, (name, ref)
                continue
            base = expand_reference(ref)[-1]
            if base.startswith("module."):
                continue
            base = base.split("[")[0]
            assert base in known, (name, r["address"], ref)


# ----------------------------------------------------------------------------- output


def render(s: Scenario) -> dict[str, str]:
    doc = s.build().render()
    check_plan(s.name, doc)
    s.expect.validate(s.name)
    plan = dumps_minified(doc) if s.minified else dumps_pretty(doc)
    toml = to_toml(s.name, s.expect)
    tomllib.loads(toml)  # must parse
    readme = f"# {s.name}\n\n{s.readme}\n"
    files = {"plan.json": plan, "README.md": readme, "expected.toml": toml}
    if s.config is not None:
        tomllib.loads(s.config)  # must parse
        files["aks-preflight.toml"] = s.config
    if s.files is not None:
        files.update(s.files())
    return files


def index(scenarios: list[Scenario]) -> str:
    lines = [
        "# Plan scenarios",
        "",
        "Terraform plan JSON fixtures (`terraform show -json` of a saved plan, format_version",
        "1.2) with independently decided expected outcomes, used as end-to-end test oracles.",
        "Generated by `python3 testdata/gen/gen_scenarios.py` (see `testdata/gen/README.md`); do",
        "not edit the files by hand.",
        "",
        "Each folder holds `plan.json`, `README.md` (the design and the reasoning behind the",
        "verdict) and `expected.toml`; a scenario that needs a configuration file also holds",
        "`aks-preflight.toml`, passed as `--config`.",
        "",
        "## expected.toml",
        "",
        "```toml",
        "exit_code = 1            # 0: no error finding; 1: at least one error finding",
        'verdict = "fail"         # "pass" | "fail" | "unknown" | "nothing-checked" (overall)',
        'rules = ["NSG001"]       # exact set of catalogue rule IDs expected to fire',
        'notes = ["no AKS cluster"]  # optional: text the run should print (case-insensitive substring)',
        "",
        "[[finding]]              # optional, one per expected finding worth pinning",
        'rule = "NSG001"',
        'address = "azurerm_network_security_rule.deny_internet_https_outbound"  # element the finding names',
        'pool = "system"          # optional: node pool concerned',
        'endpoint = "mcr.microsoft.com"  # optional: endpoint concerned',
        'message = "DenyInternet"  # optional: text the message must contain (the cause it names)',
        'help = "priority"        # optional: text the help or its snippet must contain (the fix)',
        "",
        "[[egress]]               # per (pool, host, port, protocol) path verdict",
        'pool = "system"          # node pool name',
        'host = "mcr.microsoft.com"  # catalogue destination, <region> = westeurope; IPs for DNS servers',
        "port = 443",
        'protocol = "tcp"         # "tcp" | "udp" (HTTPS endpoints are tcp/443)',
        'verdict = "blocked"      # "reachable" | "blocked" | "unknown"',
        "```",
        "",
        "Conventions:",
        "",
        "* `rules` lists the rule IDs expected to fire (see `aks-preflight rules` and",
        "  `policies/rules.toml`: NSG, RTE, NAT, EGR, FWL, PER, APL, DNS, PRV, API, CLD, PXY, RET",
        "  and AKS families). Input notes (INP...) are not covered.",
        "* One root cause, one rule: when a specific rule explains blocked or unknown flows",
        "  (NSG001, RTE001, RTE005, APL001, FWL003, PER001, ...), the generic EGR001/EGR002 or a",
        "  per-endpoint FWL001 are not expected in addition.",
        "* `[[egress]]` lists only the paths whose verdict is certain; absent keys are not",
        "  asserted. Scenarios where AKS rejects the cluster before any node exists (for",
        "  example RTE002, RTE003, RTE004, NAT002) assert no egress.",
        "* Conditional endpoints whose need is uncertain (legacy tunnel Udp 1194/Tcp 9000, NTP)",
        "  are never asserted.",
        "* Sensitive values in the plans are the string `SECRET-SHOULD-NOT-BE-PRINTED`; no",
        "  output format may ever contain it.",
        "",
        "Terraform-faithful traps the plans contain on purpose (every one is what a real plan",
        "shows):",
        "",
        "* IDs and computed attributes of created resources are absent from `after` and `true`",
        "  in `after_unknown`; links are visible only as `references` in `configuration`.",
        "* `azurerm_virtual_network.dns_servers`/`subnet`, `azurerm_network_security_group.",
        "  security_rule` and `azurerm_route_table.route` are Optional+Computed: when the",
        "  configuration does not set them they are unknown in the plan even though Azure will",
        "  use the default (no custom DNS) or the separate rule/route resources.",
        "* `security_rule`, `route` and inline `subnet` are attributes-as-blocks: their",
        "  configuration is ONE expression for the whole argument (`constant_value` list or a",
        "  `references` list), not per-block expressions.",
        "* Unknown list elements are `null` in `after` (`dns_servers: [null]`), with",
        "  `after_unknown: [true]`.",
        "* Rules from `dynamic` blocks have known values but no configuration expression.",
        "* Deleted resources appear in `resource_changes` and `prior_state` but not in",
        "  `planned_values`; no-op resources carry refreshed computed echoes (e.g. a VNet's",
        "  `subnet[].security_group`) that may describe the pre-plan state.",
        "",
        "## Scenarios",
        "",
    ]
    names = {s.name for s in scenarios}
    for title, group in groups():
        group = [s for s in group if s.name in names]
        if not group:
            continue
        lines.append(f"### {title}")
        lines.append("")
        for s in group:
            e = s.expect
            rules = ", ".join(e.rules) if e.rules else "none"
            lines.append(f"* `{s.name}`: {s.summary} (exit {e.exit_code}, {e.verdict}; rules: {rules})")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if any generated file differs from the tree")
    ap.add_argument("--out", type=Path, default=OUT, help="output directory")
    args = ap.parse_args()

    scenarios = all_scenarios()
    files: dict[Path, str] = {}
    for s in scenarios:
        for fname, text in render(s).items():
            files[args.out / s.name / fname] = text
    files[args.out / "README.md"] = index(scenarios)

    if args.check:
        bad = [p for p, t in files.items() if not p.exists() or p.read_text() != t]
        expected_dirs = {s.name for s in scenarios}
        extra = [d for d in args.out.iterdir() if d.is_dir() and d.name not in expected_dirs] \
            if args.out.exists() else []
        for p in bad:
            print(f"differs: {p}")
        for d in extra:
            print(f"not generated: {d}")
        return 1 if bad or extra else 0

    for p, t in files.items():
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(t)
    print(f"wrote {len(scenarios)} scenarios to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
