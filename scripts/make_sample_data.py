"""Write the sample data set shipped in ``wherelang/data/sample/``, deterministically.

One organization with fifteen Spaces (four teams in dev, staging and prod environments),
their Targets, six Users, a few saved Filters, and a few hundred Units that look like
what ConfigHub holds for Kubernetes apps: Labels, Annotations, approvals, apply gates,
revision numbers, upstream links from prod Units to their dev originals, and times.

Run from the repository root: ``python scripts/make_sample_data.py``. The same seed
gives byte-identical files, so the data set can be reviewed as a diff.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "wherelang" / "data" / "sample"
SEED = 20250107
ORG_START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)

SPACES = [
    # slug, environment, team, region
    ("storefront-dev", "dev", "storefront", "us-east-1"),
    ("storefront-staging", "staging", "storefront", "us-east-1"),
    ("storefront-prod-us", "prod", "storefront", "us-east-1"),
    ("storefront-prod-eu", "prod", "storefront", "eu-west-1"),
    ("payments-dev", "dev", "payments", "eu-west-1"),
    ("payments-staging", "staging", "payments", "eu-west-1"),
    ("payments-prod", "prod", "payments", "eu-west-1"),
    ("platform-dev", "dev", "platform", "us-east-1"),
    ("platform-staging", "staging", "platform", "us-east-1"),
    ("platform-prod", "prod", "platform", "us-east-1"),
    ("platform-prod-eu", "prod", "platform", "eu-west-1"),
    ("payments-prod-us", "prod", "payments", "us-east-1"),
    ("data-dev", "dev", "data", "us-west-2"),
    ("data-staging", "staging", "data", "us-west-2"),
    ("data-prod", "prod", "data", "us-west-2"),
]

# Components each team deploys: (name, tier, kinds of config in the unit)
COMPONENTS = {
    "storefront": [
        ("web", "frontend"), ("cart", "backend"), ("catalog", "backend"),
        ("search", "backend"), ("recommendations", "backend"), ("checkout", "backend"),
        ("session-cache", "data"), ("cdn-config", "frontend"), ("image-resizer", "backend"),
        ("storefront-ingress", "infra"), ("feature-flags", "backend"),
    ],
    "payments": [
        ("payments-api", "backend"), ("ledger", "backend"), ("fraud-detector", "backend"),
        ("payouts-worker", "backend"), ("ledger-db", "data"), ("payments-ingress", "infra"),
        ("pci-audit-log", "data"), ("currency-rates", "backend"),
    ],
    "platform": [
        ("cert-manager", "infra"), ("ingress-nginx", "infra"), ("external-dns", "infra"),
        ("prometheus", "infra"), ("grafana", "frontend"), ("loki", "data"),
        ("otel-collector", "infra"), ("argo-rollouts", "infra"), ("kyverno", "infra"),
        ("vault-agent", "infra"),
    ],
    "data": [
        ("kafka", "data"), ("zookeeper", "data"), ("clickhouse", "data"), ("airflow", "backend"),
        ("spark-operator", "infra"), ("schema-registry", "backend"), ("metabase", "frontend"),
    ],
}  # fmt: skip

USERS = [
    ("alice", "Alice Moreau"), ("bilal", "Bilal Haddad"), ("chen", "Chen Wei"),
    ("dana", "Dana Kowalski"), ("emeka", "Emeka Obi"), ("freya", "Freya Lindqvist"),
]  # fmt: skip

CHANGES = [
    "Bump image to {v}", "Set replicas to {n}", "Raise memory limit to {m}Mi",
    "Add readiness probe", "Rotate TLS secret reference", "Enable HPA",
    "Pin chart version {v}", "Add PodDisruptionBudget", "Set LOG_LEVEL=debug",
    "Revert LOG_LEVEL", "Upgrade base image for CVE-2025-{n}{n}", "Initial import",
]  # fmt: skip


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.cursor = 0

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def time(self, after: datetime, max_days: float) -> datetime:
        return after + timedelta(seconds=self.rng.randint(60, int(max_days * 86400)))

    def next_cursor(self) -> int:
        self.cursor += 1
        return self.cursor


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def build(seed: int = SEED) -> dict[str, list[dict[str, Any]]]:
    g = Gen(seed)
    org_id = g.uuid()
    organizations = [
        {
            "OrganizationID": org_id,
            "Slug": "acme",
            "DisplayName": "Acme Retail",
            "EmailDomain": "acme.example",
            "Labels": {"plan": "enterprise"},
            "Annotations": {},
            "CreatedAt": stamp(ORG_START),
            "UpdatedAt": stamp(ORG_START),
            "EntityType": "organization",
            "CursorID": g.next_cursor(),
            "Version": 1,
        }
    ]
    users = []
    for slug, name in USERS:
        created = g.time(ORG_START, 3)
        users.append(
            {
                "UserID": g.uuid(),
                "Slug": slug,
                "Username": f"{slug}@acme.example",
                "DisplayName": name,
                # ConfigHub's table types ExternalID as a uuid (where_attributes.json).
                "ExternalID": str(uuid.UUID(int=g.rng.getrandbits(48))),
                "CreatedAt": stamp(created),
                "UpdatedAt": stamp(created),
                "EntityType": "user",
                "CursorID": g.next_cursor(),
                "Version": 1,
            }
        )
    user_ids = [u["UserID"] for u in users]

    spaces, targets = [], []
    for slug, env, team, region in SPACES:
        created = g.time(ORG_START, 10)
        space_id = g.uuid()
        space = {
            "SpaceID": space_id,
            "OrganizationID": org_id,
            "Slug": slug,
            "DisplayName": f"{team.title()} {env}",
            "Labels": {"Environment": env, "Team": team, "Region": region},
            "Annotations": {"confighub.com/owner": f"team-{team}@acme.example"},
            "DeleteGates": {"protect-prod": True} if env == "prod" else {},
            "CreatedAt": stamp(created),
            "UpdatedAt": stamp(g.time(created, 30)),
            "EntityType": "space",
            "CursorID": g.next_cursor(),
            "Version": g.rng.randint(1, 4),
        }
        spaces.append(space)
        for cluster in (["main"] if env != "prod" else ["main", "dr"]):
            targets.append(
                {
                    "TargetID": g.uuid(),
                    "SpaceID": space_id,
                    "OrganizationID": org_id,
                    "Slug": f"{slug}-{cluster}",
                    "DisplayName": f"{region} {env} cluster ({cluster})",
                    "Labels": {"Cluster": cluster},
                    "CreatedAt": stamp(created),
                    "UpdatedAt": stamp(created),
                    "EntityType": "target",
                    "CursorID": g.next_cursor(),
                    "Version": 1,
                }
            )

    units: list[dict[str, Any]] = []
    # Dev units first, so that prod units can name their upstream dev unit.
    dev_unit = {}
    for space in spaces:
        env = space["Labels"]["Environment"]
        team = space["Labels"]["Team"]
        space_targets = [t for t in targets if t["SpaceID"] == space["SpaceID"]]
        for component, tier in COMPONENTS[team]:
            # Backend services come with a migrations job; prod backends with a canary.
            copies = [0] + ([1] if env == "prod" and tier == "backend" else [])
            copies += [2] if tier == "backend" and g.rng.random() < 0.6 else []
            for copy in copies:
                units.append(
                    unit(g, space, space_targets, component, tier, copy, user_ids, dev_unit, org_id)
                )
    # Some tidy-up units that are never applied and carry no labels at all.
    for i in range(30):
        space = g.rng.choice(spaces)
        units.append(scratch_unit(g, space, i, org_id))
    g.rng.shuffle(units)

    filters = [
        saved_filter(g, org_id, spaces[0], "backend-units", "Backend units", "Unit",
                     "Labels.tier = 'backend'", None),
        saved_filter(g, org_id, spaces[2], "unapproved-prod", "Unapproved in storefront-prod-us",
                     "Unit", "LEN(ApplyGates) = 0", spaces[2]["SpaceID"]),
        saved_filter(g, org_id, spaces[0], "pending-changes", "Head ahead of live", "Unit",
                     "HeadRevisionNum > LastReleasedRevisionNum", None),
        saved_filter(g, org_id, spaces[0], "prod-spaces", "Production spaces", "Space",
                     "Labels.Environment = 'prod'", None),
    ]  # fmt: skip
    return {
        "Organization": organizations,
        "User": users,
        "Space": spaces,
        "Target": targets,
        "Filter": filters,
        "Unit": units,
    }


def unit(
    g: Gen,
    space: dict[str, Any],
    space_targets: list[dict[str, Any]],
    component: str,
    tier: str,
    copy: int,
    user_ids: list[str],
    dev_unit: dict[tuple[str, str], dict[str, Any]],
    org_id: str,
) -> dict[str, Any]:
    rng = g.rng
    env = space["Labels"]["Environment"]
    team = space["Labels"]["Team"]
    slug = component + ("", "-canary", "-migrations")[copy]
    created = g.time(datetime.fromisoformat(space["CreatedAt"].replace("Z", "+00:00")), 60)
    updated = g.time(created, 120)
    head = rng.randint(1, 40)
    applied = rng.random() < 0.85
    live = head - (rng.randint(1, 3) if rng.random() < 0.25 else 0) if applied else 0
    live = max(live, 0)
    labels: dict[str, str] = {"app": component, "tier": tier, "team": team}
    if rng.random() < 0.7:
        labels["app.kubernetes.io/name"] = component
    if rng.random() < 0.3:
        labels["owner"] = rng.choice(["alice", "bilal", "chen", "dana", "emeka", "freya"])
    if copy == 1:
        labels["track"] = "canary"
    if copy == 2:
        labels["workload"] = "job"
    annotations: dict[str, str] = {}
    if rng.random() < 0.5:
        annotations["cost-estimator.confighub.com/budget-status"] = rng.choice(
            ["within-budget", "within-budget", "over-budget", "unknown"]
        )
    if rng.random() < 0.3:
        annotations["confighub.com/change-ticket"] = f"OPS-{rng.randint(1000, 9999)}"
    approvals = 0 if env == "dev" and rng.random() < 0.6 else rng.choice([0, 1, 1, 2])
    rng.sample(user_ids, approvals)  # the stream stays that of earlier data sets
    apply_gates: dict[str, bool] = {}
    if rng.random() < 0.2:
        apply_gates["complete/no-placeholders"] = True
    if env == "prod" and rng.random() < 0.15:
        apply_gates["policy/require-approval"] = True
    apply_warnings: dict[str, bool] = {}
    if rng.random() < 0.1:
        apply_warnings["deprecated-api/extensions-v1beta1"] = True
    upstream = dev_unit.get((team, component)) if env != "dev" else None
    target = rng.choice(space_targets) if applied and rng.random() < 0.95 else None
    version = f"v{rng.randint(1, 3)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    change = rng.choice(CHANGES).format(v=version, n=rng.randint(2, 9), m=rng.choice([256, 512, 1024]))
    record: dict[str, Any] = {
        "UnitID": g.uuid(),
        "SpaceID": space["SpaceID"],
        "OrganizationID": org_id,
        "Slug": slug,
        "DisplayName": component.replace("-", " ").title() + ("", " (canary)", " migrations")[copy],
        "Labels": labels,
        "Annotations": annotations,
        "ApplyGates": apply_gates,
        "ApplyWarnings": apply_warnings,
        "DeleteGates": {"protect-prod": True} if env == "prod" and tier == "data" else {},
        "DestroyGates": {},
        "ToolchainType": "Kubernetes/YAML",
        "ProviderType": "Kubernetes",
        "HeadRevisionID": _drawn(rng.choice(["Manual", "Manual", "Auto"])),
        "HeadRevisionNum": head,
        "LastReleasedRevisionNum": live,
        "UpstreamRevisionNum": rng.randint(1, upstream["HeadRevisionNum"]) if upstream else 0,
        "UpstreamUnitID": upstream["UnitID"] if upstream else None,
        "UpstreamSpaceID": upstream["SpaceID"] if upstream else None,
        "TargetID": target["TargetID"] if target else None,
        "ChangeSetID": None,
        "LastChangeDescription": change,
        "DataHash": f"{rng.getrandbits(64):016x}",
        "HiddenReason": _drawn(stamp(g.time(updated, 5)) if applied else None),
        "CreatedAt": stamp(created),
        "UpdatedAt": stamp(updated),
        "SpaceSlug": space["Slug"],
        "EntityType": "unit",
        "CursorID": g.next_cursor(),
        "Version": rng.randint(1, 12),
    }
    if env == "dev" and copy == 0:
        dev_unit[(team, component)] = record
    return record


def _drawn(_value: Any) -> None:
    """Nothing: a draw kept so that the random stream stays that of earlier data sets."""
    return None


def scratch_unit(g: Gen, space: dict[str, Any], i: int, org_id: str) -> dict[str, Any]:
    created = g.time(datetime.fromisoformat(space["CreatedAt"].replace("Z", "+00:00")), 90)
    return {
        "UnitID": g.uuid(),
        "SpaceID": space["SpaceID"],
        "OrganizationID": org_id,
        "Slug": f"scratch-{i:02d}",
        "DisplayName": f"Scratch {i}",
        "Labels": {},
        "Annotations": {},
        "ApplyGates": {"complete/no-placeholders": False},
        "ApplyWarnings": {},
        "DeleteGates": {},
        "DestroyGates": {},
        "ToolchainType": "Kubernetes/YAML",
        "ProviderType": "Kubernetes",
        "HeadRevisionID": None,
        "HeadRevisionNum": 1,
        "LastReleasedRevisionNum": 0,
        "UpstreamRevisionNum": 0,
        "UpstreamUnitID": None,
        "UpstreamSpaceID": None,
        "TargetID": None,
        "ChangeSetID": None,
        "LastChangeDescription": "Initial import",
        "DataHash": f"{g.rng.getrandbits(64):016x}",
        "CreatedAt": stamp(created),
        "UpdatedAt": stamp(created),
        "SpaceSlug": space["Slug"],
        "EntityType": "unit",
        "CursorID": g.next_cursor(),
        "Version": 1,
    }


def saved_filter(
    g: Gen,
    org_id: str,
    space: dict[str, Any],
    slug: str,
    name: str,
    entity: str,
    where: str,
    from_space: str | None,
) -> dict[str, Any]:
    created = g.time(ORG_START, 40)
    return {
        "FilterID": g.uuid(),
        "SpaceID": space["SpaceID"],
        "OrganizationID": org_id,
        "Slug": slug,
        "DisplayName": name,
        "From": entity,
        "FromSpaceID": from_space,
        "Where": where,
        "Labels": {},
        "Annotations": {},
        "CreatedAt": stamp(created),
        "UpdatedAt": stamp(created),
        "SpaceSlug": space["Slug"],
        "EntityType": "filter",
        "CursorID": g.next_cursor(),
        "Version": 1,
    }


def write(data: dict[str, list[dict[str, Any]]], out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for entity, rows in data.items():
        lines = [json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows]
        (out / f"{entity}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write(build(), Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
