"""The strict level is ConfigHub's current parser: cases from REFERENCE.md, rule by rule.

Each case names an entity type (the parser is built for it, with its expandable fields as
included fields, as ``parserFor`` in ConfigHub's parser_test.go), the expression, the
code of the rejection (None: ConfigHub accepts it) and the rule of
``shared/confighub/REFERENCE.md`` it comes from. The operator cases at the end are the
§5 table, drawn for the first attribute of each data type of eight entity types.

Every rejection must also carry a position, a message and a hint; when the extended level
takes the text, the hint says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest

from wherelang import WhereError, confighub, parse

U = "7c61626f-ddbe-41af-93f6-b69f4ab6d308"


class Case(NamedTuple):
    entity: str
    text: str
    code: str | None  # None: accepted
    rule: str


def ok(entity: str, text: str, rule: str) -> Case:
    return Case(entity, text, None, rule)


def no(entity: str, text: str, code: str, rule: str) -> Case:
    return Case(entity, text, code, rule)


TERM = "Slug = 'a'"
NESTED_32 = "(" * 32 + "a" + ")" * 32

CASES: list[Case] = [
    # §1 structure, blanks, AND, limits
    ok("Unit", "", "§1.3 empty expression: zero terms"),
    ok("Unit", "   ", "§1.3 whitespace only"),
    ok("Unit", "\t", "§1.3 tab is whitespace"),
    ok("Unit", " " * 256, "§1.2 at most 256 blanks"),
    no("Unit", " " * 257, "strict-blank", "§1.2 257 blanks"),
    ok("Unit", "Slug = 'a' AND Slug = 'b'", "§1.5 conjunction"),
    ok("Unit", "Slug = 'a'\tAND\tSlug = 'b'", "§1.2 tabs around AND"),
    no("Unit", "Slug = 'a'AND Slug = 'b'", "strict-blank", "§1.5 whitespace required before AND"),
    no("Unit", "Slug = 'a' ANDSlug = 'b'", "missing-and", "§1.5 whitespace required after AND"),
    no("Unit", "Slug = 'a' AND", "trailing-and", "§1.5 a term after the final AND"),
    no("Unit", "Slug = 'a' and Slug = 'b'", "strict-keyword", "§1.5 AND is case-sensitive"),
    no("Unit", "Slug = 'a' And Slug = 'b'", "strict-keyword", "§1.5 AND is case-sensitive"),
    no("Unit", "Slug = 'a' OR Slug = 'b'", "extended-syntax", "§1.6 no OR"),
    no("Unit", "Slug = 'a' && Slug = 'b'", "unknown-operator", "§1.5 && is not AND"),
    no("Unit", "NOT Slug = 'a'", "extended-syntax", "§1.6 no NOT prefix"),
    no("Unit", "(Slug = 'a')", "extended-syntax", "§1.6 no parentheses"),
    no("Unit", "Slug = 'a' AND AND Slug = 'b'", "missing-condition", "§1.5 a term after AND"),
    no("Unit", "Slug = 'a'\nAND Slug = 'b'", "strict-blank", "§1.2 newline is not whitespace"),
    no("Unit", "Slug = 'a'\r\nAND Slug = 'b'", "strict-blank", "§1.2 CR is not whitespace"),
    no("Unit", "\nSlug = 'a'", "strict-blank", "§1.3 leading newline"),
    ok("Unit", " " * 256 + TERM, "§1.3 256 leading blanks"),
    no("Unit", " " * 257 + TERM, "strict-blank", "§1.3 257 leading blanks"),
    ok("Unit", TERM + " " * 256, "§1.5 256 trailing blanks"),
    no("Unit", TERM + " " * 257, "strict-blank", "§1.5 257 trailing blanks"),
    ok("Unit", TERM + " AND" + " " * 256 + TERM, "§1.5 256 blanks after AND"),
    no("Unit", TERM + " AND" + " " * 257 + TERM, "strict-blank", "§1.5 257 blanks after AND"),
    ok("Unit", TERM + " " * 256 + "AND " + TERM, "§1.5 256 blanks before AND"),
    ok("Unit", " AND ".join([TERM] * 100), "§1.4 100 terms"),
    no("Unit", " AND ".join([TERM] * 101), "limit-exceeded", "§1.4 101 terms"),
    ok("Unit", "Slug = '" + "x" * (8192 - 9) + "'", "§1.1 8192 bytes"),
    no("Unit", "Slug = '" + "x" * (8192 - 8) + "'", "limit-exceeded", "§1.1 8193 bytes"),
    no("Unit", "Slug = '" + "é" * 4092 + "'", "limit-exceeded", "§1.1 the limit is in bytes"),
    ok("Unit", "Slug='a'", "§1.7 no blanks around the operator"),
    ok("Unit", "HeadRevisionNum>=1", "§1.7 no blanks around the operator"),
    ok("Unit", "Slug IN('a')", "§1.7 no blank before the IN list"),
    ok("Unit", "Slug = 'a' AND HeadRevisionNum > 1 AND Labels.tier = 'x'", "§1 a conjunction"),
    # §2 attribute references and prefixes
    ok("Unit", "Unit.Slug = 'a'", "§2.1 the entity's own name"),
    ok("Unit", "UpstreamUnit.HeadRevisionNum > 1", "§2.1 an included field's prefix"),
    ok("Unit", "UpstreamSpace.Slug = 'a'", "§0 UpstreamSpaceID -> UpstreamSpace"),
    ok("Unit", "HeadRevision.RevisionNum > 1", "§0 HeadRevisionNum -> HeadRevision"),
    ok("Unit", "LastReleasedRevision.RevisionNum > 1", "§0 LastReleasedRevisionNum"),
    ok("Unit", "Space.Slug = 'a'", "§0 SpaceID -> Space"),
    ok("Unit", "Target.Slug = 'a'", "§0 TargetID -> Target"),
    ok("Unit", "ChangeSet.Slug = 'a'", "§0 ChangeSetID -> ChangeSet"),
    ok("Unit", "Organization.Slug = 'a'", "§0 OrganizationID -> Organization"),
    ok("Unit", "FromLink.*.Slug = 'a'", "§2 a list reference with *"),
    no("Unit", "FromLink.Slug = 'a'", "list-reference", "§2 a list reference needs *"),
    no("Unit", "UpstreamUnit.*.Slug = 'a'", "list-reference", "§2 * on a single reference"),
    no("Unit", "Unit.*.Slug = 'a'", "list-reference", "§2 * after the entity's own name"),
    no("Unit", "UpstreamRevision.RevisionNum > 1", "unknown-attribute", "§0 not expandable: no prefix"),
    no("Unit", "Space.Organization.Slug = 'a'", "unknown-attribute", "§2 no multi-hop paths"),
    no("Unit", "Colour = 'blue'", "unknown-attribute", "§12 TestParseRefusals"),
    no("Unit", "LiveRevisionNum > 1", "unknown-attribute", "§0 not in the current table"),
    no("Unit", "ApprovedBy ? '" + U + "'", "unknown-attribute", "§0 not in the current table"),
    ok("Unit", "LastReleasedRevisionNum > 1", "§0 in the current table"),
    ok("Unit", "HiddenReason = 'x'", "§0 in the current table"),
    no("Unit", "slug = 'a'", "unknown-attribute", "§2 names are case-sensitive"),
    no("Unit", "Slug2 = 'a'", "strict-name", "§2 letters only"),
    no("Unit", "Slug_x = 'a'", "strict-name", "§2 letters only"),
    no("Unit", "a" * 42 + " = 'a'", "limit-exceeded", "§2 at most 41 letters"),
    no("Unit", "A" * 41 + " = 'a'", "unknown-attribute", "§2 41 letters is a name"),
    ok("Unit", "UpstreamUnit.Labels.tier = 'x'", "§2 a map key after a prefix"),
    ok("Unit", "FromLink.*.Labels.tier = 'x'", "§2 a map key after a list prefix"),
    ok("Unit", "UpstreamUnit.Slug = Slug", "§6 an attribute on the right"),
    ok("Mutation", "FunctionInvocation.FunctionName = 'x'", "§0 qualified names on Mutation"),
    ok("Mutation", "FunctionInvocation.WhereResource = 'x'", "§0 qualified names on Mutation"),
    ok("Mutation", "FunctionInvocation.Guards.fn = 'x'", "§4 Guards key of a qualified name"),
    ok("Mutation", "FunctionInvocation.Arguments.a = 'x'", "§9 JSON path of a qualified name"),
    ok("Mutation", "FunctionInvocation.Clearance IS NULL", "§0 qualified JSON"),
    no("Mutation", "FunctionInvocation.Bogus = 'x'", "unknown-attribute", "§2.3 unknown prefix"),
    ok("Mutation", "Invocation.Slug = 'x'", "§0 Mutation prefixes"),
    ok("Mutation", "MergeSource.Slug = 'x'", "§0 MergeSourceID -> MergeSource"),
    ok("Mutation", "Revision.RevisionNum > 1", "§0 Mutation prefixes"),
    ok("Mutation", "Trigger.Slug = 'x'", "§0 Mutation prefixes"),
    ok("Mutation", "Link.Slug = 'x'", "§0 Mutation prefixes"),
    ok("Revision", "Tags.*.Slug = 'a'", "§2 a keyed map reference with *"),
    ok("Revision", f"Tags.{U} = 'a'", "§2 a keyed map key without *"),
    no("Revision", "Tags.Slug = 'a'", "bad-key", "§2 without * Tags is a map"),
    ok("Revision", "Releases.*.Published = true", "§0 Revision prefixes"),
    ok("Revision", "ChangeOrders.*.Slug = 'a'", "§0 Revision prefixes"),
    ok("Revision", "Attestations.*.Result = 'a'", "§0 Revision prefixes"),
    ok("Revision", "Unit.Slug = 'a'", "§0 Revision prefixes"),
    ok("Revision", "User.Slug = 'a'", "§0 Revision prefixes"),
    ok("Revision", "Revision.RevisionNum > 1", "§2.1 the entity's own name"),
    ok("Space", "Triggers.*.Slug = 'a'", "§0 TriggerIDs -> Triggers"),
    no("Space", "Triggers.Slug = 'a'", "list-reference", "§2 a list reference needs *"),
    ok("Space", "Attributes.*.Slug = 'a'", "§0 AttributeIDs -> Attributes"),
    ok("Space", "Component.Slug = 'a'", "§0 ComponentID -> Component"),
    ok("Space", "ReleaseTarget.Slug = 'a'", "§0 ReleaseTargetID -> ReleaseTarget"),
    ok("Space", "TriggerFilter.Slug = 'a'", "§0 TriggerFilterID -> TriggerFilter"),
    ok("Space", "AttributeFilter.Slug = 'a'", "§0 AttributeFilterID -> AttributeFilter"),
    no("Space", "UpstreamSpace.Slug = 'a'", "unknown-attribute", "§0 Space has no UpstreamSpace prefix"),
    ok("Target", "Triggers.*.Slug = 'a'", "§0 Target prefixes"),
    ok("Target", "TriggerFilter.Slug = 'a'", "§0 Target prefixes"),
    ok("ChangeOrder", "SpaceFilter.Slug = 'a'", "§0 ChangeOrder prefixes"),
    ok("ChangeOrder", "UnitFilter.Slug = 'a'", "§0 ChangeOrder prefixes"),
    ok("ChangeOrder", "Invocation.Slug = 'a'", "§0 ChangeOrder prefixes"),
    ok("ChangeOrder", "StartTag.Slug = 'a'", "§0 ChangeOrder prefixes"),
    ok("ChangeOrder", "RestoreTag.Slug = 'a'", "§0 ChangeOrder prefixes"),
    ok("Link", "FromUnit.Slug = 'a'", "§0 Link prefixes"),
    ok("Link", "ToUnit.Slug = 'a'", "§0 Link prefixes"),
    ok("Link", "ToSpace.Slug = 'a'", "§0 Link prefixes"),
    ok("Link", "TransformInvocation.Slug = 'a'", "§0 TransformInvocationID"),
    ok("Trigger", "UnitFilter.Slug = 'a'", "§0 Trigger prefixes"),
    ok("Trigger", "BridgeWorker.Slug = 'a'", "§0 Trigger prefixes"),
    ok("Filter", "FromSpace.Slug = 'a'", "§0 Filter prefixes"),
    ok("Resource", "Target.Slug = 'a'", "§0 Resource prefixes"),
    ok("Resource", "Unit.Slug = 'a'", "§0 Resource prefixes"),
    ok("Release", "Tag.Slug = 'a'", "§0 Release prefixes"),
    ok("View", "Filter.Slug = 'a'", "§0 View prefixes"),
    no("User", "Organization.Slug = 'a'", "unknown-attribute", "§0 User has no prefixes"),
    # §3 LEN
    ok("Unit", "LEN(Labels) > 0", "§3 LEN of a map"),
    ok("Unit", "LEN(FromLinkID) > 0", "§3 LEN of []uuid"),
    ok("Unit", "LEN(ApplyGates) = 0", "§3 LEN of map[string]bool"),
    ok("Unit", "LEN(ValidationTriggerIDs) = 0", "§3 LEN of map[string]uuid"),
    ok("Unit", "LEN(Permissions) > 0", "§3 Permissions forms"),
    ok("Unit", "LEN(Permissions.Admin) > 0", "§3 Permissions forms"),
    ok("Unit", "LEN(Permissions.Admin.UserIDs) > 0", "§3 Permissions forms"),
    ok("Revision", "LEN(Tags) > 0", "§3 LEN of map[uuid]string"),
    ok("Unit", "LEN(Labels) > HeadRevisionNum", "§3 an int attribute operand"),
    ok("Unit", "LEN(FromLinkID) IS NULL", "§3 operator checks skipped under LEN"),
    ok("Unit", "LEN(Labels) LIKE 5", "§3 odd forms the parser accepts"),
    no("Unit", "LEN(Slug) > 0", "operator-not-allowed", "§3 not on a string"),
    no("Unit", "LEN(Conflicts) > 0", "operator-not-allowed", "§3 not on JSON"),
    no("Unit", "LEN(HeadRevisionNum) > 0", "operator-not-allowed", "§3 not on an int"),
    no("Unit", "LEN(Labels.tier) > 0", "bad-key", "§3 LEN takes no map key"),
    no("Unit", "LEN (Labels) > 0", "strict-len", "§3 no space before ("),
    no("Unit", "LEN( Labels) > 0", "strict-len", "§3 no space inside"),
    no("Unit", "LEN(Labels ) > 0", "strict-len", "§3 ) right after the name"),
    no("Unit", "len(Labels) > 0", "strict-keyword", "§3 LEN is upper case"),
    no("Unit", "LEN(FromLink.*.Labels) > 0", "strict-len", "§3 letters and dots only"),
    no("Unit", "LEN(Labels) > 'a'", "type-mismatch", "§3 the operand is an int"),
    no("Unit", "LEN(Labels) > Slug", "type-mismatch", "§3 the operand is an int"),
    no("Unit", "LEN(Labels) IN (1)", "type-mismatch", "§3 IN checked against the map's type"),
    no("Unit", "LEN(Labels) = -1", "strict-negative", "§6 no sign"),
    no("Unit", "Slug = LEN(Labels)", "strict-operand", "§6 LEN is not an operand"),
    # §4 map keys
    ok("Unit", "Labels.tier = 'x'", "§4 label key"),
    ok("Unit", "Labels.app.kubernetes.io/name = 'x'", "§4 label key with . and /"),
    ok("Unit", "Labels.a_b-c = 'x'", "§4 label key with - and _"),
    ok("Unit", "Labels.9 = 'x'", "§4 a label key may start with a digit"),
    no("Unit", "Labels.x- = 'x'", "bad-key", "§4 a label key ends alphanumeric"),
    no("Unit", "Labels._x = 'x'", "bad-key", "§4 a label key starts alphanumeric"),
    no("Unit", "Labels.-x = 'x'", "bad-path", "§4 a label key starts alphanumeric"),
    no("Unit", "Labels.'tier' = 'x'", "strict-quoted-key", "§4 no quoted keys"),
    no("Unit", "Labels.tier. = 'x'", "bad-path", "§4 a trailing dot"),
    ok("Unit", "Labels ? 'tier'", "§4 no key: containment"),
    ok("Unit", "Labels = 'x'", "§4 no key with another operator (derived)"),
    ok("Unit", "Annotations.confighub.com/x = 'a'", "§4 Annotations: label keys"),
    ok("Target", "Facts.Cluster.KubernetesVersion = '1.30'", "§4 Facts: label keys"),
    ok("Unit", "ApplyGates.sp/tr/fn = true", "§4 gate key space/trigger/function"),
    ok("Unit", "ApplyGates.sp/tr/fn:2 = true", "§4 gate key with :N"),
    ok("Unit", "ApplyGates.sp/tr/fn:999999999 = true", "§4 N has at most 9 digits"),
    no("Unit", "ApplyGates.sp/tr/fn:1234567890 = true", "bad-key", "§4 N has at most 9 digits"),
    no("Unit", "ApplyGates.sp/tr/fn:0 = true", "bad-key", "§4 N starts 1-9"),
    no("Unit", "ApplyGates.sp/tr/fn:01 = true", "bad-key", "§4 no leading zero"),
    ok("Unit", "ApplyGates.tr/fn = true", "§4 the legacy 2-part gate key"),
    ok("Unit", "ApplyGates.my.space/my-trigger/no_placeholders = true", "§4 slugs hold dots"),
    no("Unit", "ApplyGates.fn = true", "bad-key", "§4 a gate key has 2 or 3 parts"),
    no("Unit", "ApplyGates.a/b/c/d = true", "bad-key", "§4 a gate key has 2 or 3 parts"),
    ok("Unit", "ApplyWarnings.sp/tr/fn = true", "§4 gate keys"),
    ok("Unit", "ValidationErrors.sp/tr/fn = true", "§4 gate keys"),
    ok("Unit", "ValidationWarnings.sp/tr/fn:3 = false", "§4 gate keys"),
    ok("Revision", "ValidationPassed.sp/tr/fn = true", "§4 gate keys"),
    ok("Unit", "DeleteGates.protect.prod/x = true", "§4 DeleteGates: label keys"),
    ok("Unit", "DestroyGates.x = true", "§4 DestroyGates: label keys"),
    ok("Unit", "Values.sp/tr/attr = 'x'", "§4 Values key"),
    ok("Unit", "Values.tr/attr = 'x'", "§4 the legacy Values key"),
    no("Unit", "Values.attr = 'x'", "bad-key", "§4 a Values key has 2 or 3 parts"),
    no("Unit", "Values.sp/tr/a.b = 'x'", "bad-key", "§4 an attribute name has no dot"),
    ok("Unit", f"ValidationTriggerIDs.sp/tr/fn = '{U}'", "§4 map[string]uuid: gate keys"),
    ok("Unit", f"ValueTriggerIDs.sp/tr/attr = '{U}'", "§4 map[string]uuid: Values keys"),
    no("Unit", "ValidationTriggerIDs.sp/tr/fn = 'x'", "bad-literal", "§6 map[string]uuid: a UUID"),
    ok("Unit", "ValidationTriggerIDs ? 'x'", "§6 map[string]uuid with ?: any string"),
    ok("Link", "Guards.fn-name_1 = 'x'", "§4 Guards: attribute-name keys"),
    no("Link", "Guards.a.b = 'x'", "bad-key", "§4 a dot ends a Guards key"),
    no("Link", "Guards.a/b = 'x'", "bad-key", "§4 no slash in a Guards key"),
    no("Attestation", "Claims.x = 'a'", "bad-key", "§4 unsupported StringMap Claims"),
    ok("Attestation", "Claims ? 'x'", "§4 Claims without a key"),
    ok("Revision", f"Releases.{U} = 'x'", "§4 map[uuid]string: uuid keys"),
    ok("Revision", f"ChangeOrders.{U.upper()} = 'x'", "§4 uuid keys any case"),
    no("Revision", "Releases.notauuid = 'x'", "bad-key", "§4 uuid keys"),
    ok("ChangeOrder", f"SkippedUnits.{U} = 'x'", "§4 map[uuid]string: uuid keys"),
    ok("Unit", f"Permissions.Admin.UserIDs ? '{U}'", "§4 Permissions.<Action>.UserIDs"),
    ok("Unit", "Permissions.Admin.UserIDs ? 'x'", "§6 Permissions: no UUID check"),
    ok("Space", "Permissions.Viewer.UserIDs ? 'x'", "§4 any action"),
    no("Unit", "Permissions ? 'x'", "bad-key", "§4 Permissions requires .<action>.UserIDs"),
    no("Unit", "Permissions.Admin ? 'x'", "bad-key", "§4 Permissions requires .UserIDs"),
    no("Unit", "Permissions.Admin.Users ? 'x'", "bad-key", "§4 only UserIDs"),
    no("Unit", "Permissions.Ad1.UserIDs ? 'x'", "bad-key", "§4 the action is letters only"),
    no("Unit", "Permissions.Admin.UserIDs.x ? 'x'", "bad-key", "§4 no more after UserIDs"),
    no("Unit", "Permissions.Admin.UserIDs = 'x'", "operator-not-allowed", "§5.4 Permissions: ? only"),
    # §5 operator spellings
    ok("Unit", "Slug ~~ 'a%'", "§5 ~~ is LIKE"),
    ok("Unit", "Slug !~~ 'a%'", "§5 !~~ is NOT LIKE"),
    ok("Unit", "Slug NOT LIKE 'a%'", "§5 NOT LIKE"),
    ok("Unit", "Slug ILIKE 'a%'", "§5 ILIKE"),
    no("Unit", "Slug like 'a%'", "strict-keyword", "§5 case-sensitive"),
    no("Unit", "Slug NOT  LIKE 'a%'", "strict-blank", "§5 exactly one space"),
    no("Unit", "Slug NOT\tLIKE 'a%'", "strict-blank", "§5 exactly one space"),
    no("Unit", "Slug IS  NULL", "strict-blank", "§5 exactly one space"),
    no("Unit", "Slug IS NOT  NULL", "strict-blank", "§5 exactly one space"),
    no("Unit", "Slug NOT  IN ('a')", "strict-blank", "§5 exactly one space"),
    no("Unit", "Slug is null", "strict-keyword", "§5 case-sensitive"),
    no("Unit", "Slug NOT ILIKE 'a%'", "extended-syntax", "§5 nothing else exists"),
    no("Unit", "Slug ~~* 'a%'", "extended-syntax", "§5 nothing else exists"),
    no("Unit", "Slug <> 'a'", "extended-syntax", "§5 no <>"),
    no("Unit", "Slug == 'a'", "unknown-operator", "§5 no =="),
    no("Unit", "Slug => 'a'", "unknown-operator", "§5 no =>"),
    no("Unit", "Slug ? 'x'", "operator-not-allowed", "§12 TestParseRefusals"),
    no("Unit", f"SpaceID > '{U}'", "operator-not-allowed", "§12 TestParseRefusals"),
    ok("Unit", "HeadRevisionNum IS NULL", "§5 IS NULL takes no operand"),
    # §6 literals
    ok("Unit", "HeadRevisionNum = 0001", "§6 leading zeros"),
    ok("Unit", "HeadRevisionNum = 9999999999", "§6 10 digits"),
    no("Unit", "HeadRevisionNum = 12345678901", "limit-exceeded", "§6 at most 10 digits"),
    no("Unit", "HeadRevisionNum = -1", "strict-negative", "§6 no sign"),
    no("Unit", "HeadRevisionNum = 1.5", "extended-syntax", "§6 no decimal point"),
    no("Unit", "HeadRevisionNum = 'one'", "type-mismatch", "§12 TestParseRefusals"),
    no("Unit", "Labels.tier = 3", "type-mismatch", "§12 TestParseRefusals"),
    no("Unit", "SpaceID = 5", "type-mismatch", "§6 expected uuid literal"),
    no("Unit", "Slug = web", "unknown-attribute", "§6 an unquoted word is an attribute"),
    no("Unit", "Slug = True", "strict-keyword", "§6 booleans are true TRUE false FALSE"),
    no("Unit", "Slug = 'it''s'", "strict-string", "§6 no '' escape"),
    no("Unit", "Slug = 'say \"hi\"'", "strict-string", "§6 no \" in a string"),
    no("Unit", "Slug = 'a\\b'", "strict-string", "§6 no \\ in a string"),
    no("Unit", 'Slug = "x"', "unexpected-character", "§6 single quotes only"),
    no("Unit", "Slug = 'a\tb'", "control-character", "§6 no tab in a string"),
    no("Unit", "Slug = 'a\nb'", "control-character", "§6 no newline in a string"),
    no("Unit", "Slug = 'a\x00b'", "control-character", "§6 no NUL in a string"),
    no("Unit", "Slug = 'a\x7fb'", "control-character", "§6 no DEL in a string"),
    ok("Unit", "Slug = 'a\x85b'", "§6 C1 controls are allowed"),
    ok("Unit", "Slug = 'ünï ☃ 𝄞'", "§6 non-ASCII"),
    ok("Unit", "Slug = ''", "§6 an empty string"),
    ok("Unit", "Slug = '" + "x" * 1000 + "'", "§6 no per-literal limit"),
    no("Unit", "Slug = 'x", "unterminated-string", "§6 unterminated"),
    ok("Unit", "CreatedAt > '2025-01-07'", "§6 time layout 2006-01-02"),
    ok("Unit", "CreatedAt > '2025-01-07T10:00:00'", "§6 time layout 2006-01-02T15:04:05"),
    ok("Unit", "CreatedAt > '2025-01-07 10:00:00'", "§6 time layout 2006-01-02 15:04:05"),
    ok("Unit", "CreatedAt > '2025-01-07T10:00:00Z'", "§6 RFC 3339"),
    ok("Unit", "CreatedAt > '2025-01-07T10:00:00+02:00'", "§6 RFC 3339 with an offset"),
    ok("Unit", "CreatedAt > '2025-01-07T10:00:00.123456789Z'", "§6 RFC 3339 nano"),
    no("Unit", "CreatedAt > 'soon'", "bad-literal", "§6 not a time"),
    no("Unit", "CreatedAt > '2025-13-01'", "bad-literal", "§6 month range-checked"),
    no("Unit", "CreatedAt > '2025-01-07T25:00:00'", "bad-literal", "§6 hour range-checked"),
    no("Unit", "CreatedAt > 5", "type-mismatch", "§6 a time is a string"),
    ok("Unit", f"SpaceID = '{U}'", "§6 a canonical UUID"),
    ok("Unit", f"SpaceID = '{U.upper()}'", "§6 UUIDs any case"),
    ok("Unit", f"SpaceID = 'urn:uuid:{U}'", "§6 google/uuid: urn:uuid:"),
    ok("Unit", f"SpaceID = '{{{U}}}'", "§6 google/uuid: braces"),
    ok("Unit", f"SpaceID = '{U.replace('-', '')}'", "§6 google/uuid: 32 hex digits"),
    no("Unit", "SpaceID = 'old-space-id'", "bad-literal", "§6 not a UUID"),
    ok("Unit", "FromLinkID ? 'x'", "§6 []uuid ? is not UUID-checked"),
    ok("Unit", f"FromLinkID ? '{U}'", "§6 []uuid ?"),
    ok("Unit", "ApplyGates.sp/tr/fn = 'yes'", "§6 map[string]bool: any string"),
    no("Unit", "ApplyGates.sp/tr/fn = 1", "type-mismatch", "§6 map[string]bool: not an int"),
    ok("Unit", "HeadRevisionNum > LastReleasedRevisionNum", "§6 an attribute of the same type"),
    ok("Unit", "Slug = DisplayName", "§6 an attribute of the same type"),
    ok("Unit", "HeadRevisionNum = UpstreamUnit.HeadRevisionNum", "§6 a prefixed attribute"),
    no("Unit", "Slug = HeadRevisionNum", "type-mismatch", "§6 exactly the same type"),
    no("Unit", "SpaceID = UpstreamSpaceID AND Slug = CreatedAt", "type-mismatch", "§6 same type"),
    no("Unit", "Slug = Labels", "bad-operand", "§6 a map is not a right-hand operand"),
    no("Unit", "Slug = Labels.tier", "bad-operand", "§6 no keys on the right"),
    no("Unit", "Slug = FromLink.*.Slug", "strict-operand", "§6 no * on the right"),
    no("Unit", "'a' = Slug", "literal-left", "§6 a literal never on the left"),
    no("Unit", "1 = HeadRevisionNum", "literal-left", "§6 a literal never on the left"),
    no("Unit", "'a' IN ('a')", "literal-left", "§6 a literal never on the left"),
    no("Unit", "Slug = Nothing", "unknown-attribute", "§6 unknown right-hand attribute"),
    # §7 IN lists
    ok("Unit", "Slug IN ('a', 'b')", "§7 strings"),
    ok("Unit", "Slug NOT IN ('a')", "§7 NOT IN"),
    ok("Unit", "Slug IN ('a,b', '')", "§7 commas inside, empty values"),
    ok("Unit", "Slug IN ('a',\n'b')", "§7 newlines inside the list"),
    ok("Unit", "Slug IN (\r\n'a'\f,\t'b'\n)", "§7 \\s inside the list"),
    no("Unit", "Slug IN ('a', 1)", "mixed-in-list", "§7 one kind"),
    no("Unit", "Slug IN ()", "empty-in-list", "§7 at least one value"),
    no("Unit", "Slug IN (1)", "type-mismatch", "§7 strings for a string column"),
    no("Unit", "Slug IN ('a'', 'b')", "strict-string", "§12 TestParseRefusals"),
    ok("Unit", "HeadRevisionNum IN (1, 2)", "§7 integers"),
    no("Unit", "HeadRevisionNum IN ('1')", "type-mismatch", "§7 integers for an int column"),
    ok("Link", "AutoUpdate IN (true, FALSE)", "§7 booleans on a bool column"),
    no("Link", "AutoUpdate IN ('true')", "type-mismatch", "§7 booleans for a bool column"),
    ok("Unit", "CreatedAt IN ('2025-01-07')", "§7 times"),
    no("Unit", "CreatedAt IN ('x')", "bad-literal", "§7 the time check"),
    ok("Unit", f"SpaceID IN ('{U}')", "§7 uuids"),
    no("Unit", "SpaceID IN ('x')", "bad-literal", "§7 invalid UUID IN clause value"),
    no("Unit", f"FromLinkID IN ('{U}')", "operator-not-allowed", "§7 not on []uuid"),
    no("Unit", "Permissions IN ('x')", "bad-key", "§4 the key comes before the operator"),
    no("Unit", "Permissions.Admin.UserIDs IN ('x')", "operator-not-allowed", "§7 not on Permissions"),
    ok("Unit", "Labels.tier IN ('a', 'b')", "§7 map[string]string: strings"),
    ok("Unit", "ApplyGates.sp/tr/fn IN (true)", "§7 map[string]bool: booleans"),
    ok("Resource", "Data.spec.replicas IN ('1', '2')", "§7 JSON compared as text"),
    ok("Unit", "Slug IN (" + ", ".join(["'a'"] * 1000) + ")", "§7 1000 values"),
    no("Unit", "Slug IN (" + ", ".join(["'a'"] * 1001) + ")", "limit-exceeded", "§7 1001 values"),
    no("Unit", "Slug IN ('a\tb')", "control-character", "§7 control characters"),
    # §8 patterns
    ok("Unit", "Slug ~ '^app-[0-9]+$'", "§8 portable regex"),
    ok("Unit", "Slug ~* 'web'", "§8 ~*"),
    ok("Unit", "Slug !~ 'x'", "§8 !~"),
    ok("Unit", "Slug !~* 'x'", "§8 !~*"),
    ok("Unit", "Slug ~ 'a^b'", "§8 anchors anywhere"),
    ok("Unit", "Slug ~ 'a{255}'", "§8 bounds up to 255"),
    ok("Unit", "Slug ~ 'a{2,}'", "§8 {n,}"),
    ok("Unit", "Slug ~ 'a{2,5}'", "§8 {n,m}"),
    ok("Unit", "Slug ~ '(a|)b'", "§8 empty alternatives"),
    ok("Unit", "Slug ~ '()a'", "§8 empty groups"),
    ok("Unit", "Slug ~ '[]a]'", "§8 ] first is a literal"),
    ok("Unit", "Slug ~ '[a-]'", "§8 - last is a literal"),
    ok("Unit", "Slug ~ '[-a]'", "§8 - first is a literal"),
    ok("Unit", "Slug ~ '[^a-z]'", "§8 a negated bracket"),
    ok("Unit", "Slug ~ '[a[]'", "§8 a lone [ inside"),
    ok("Unit", f"Slug ~ '{NESTED_32}'", "§8 groups nested 32 deep"),
    no("Unit", f"Slug ~ '({NESTED_32})'", "unsupported-regex", "§8 nesting > 32"),
    no("Unit", "Slug ~ '(?i)web'", "unsupported-regex", "§8 no (?"),
    no("Unit", "Slug ~ '[[:alpha:]]'", "unsupported-regex", "§8 no [: classes"),
    no("Unit", "Slug ~ '[[.a.]]'", "unsupported-regex", "§8 no [. classes"),
    no("Unit", "Slug ~ '[[=a=]]'", "unsupported-regex", "§8 no [= classes"),
    no("Unit", "Slug ~ 'a{256}'", "unsupported-regex", "§8 bounds <= 255"),
    no("Unit", "Slug ~ 'a{3,2}'", "unsupported-regex", "§8 m >= n"),
    no("Unit", "Slug ~ 'a{'", "unsupported-regex", "§8 { not a bound"),
    no("Unit", "Slug ~ 'a}'", "unsupported-regex", "§8 stray }"),
    no("Unit", "Slug ~ 'a]'", "unsupported-regex", "§8 stray ]"),
    no("Unit", "Slug ~ 'a**'", "unsupported-regex", "§8 a second quantifier"),
    no("Unit", "Slug ~ 'a*?'", "unsupported-regex", "§8 no lazy quantifiers"),
    no("Unit", "Slug ~ 'a+{2}'", "unsupported-regex", "§8 a second quantifier"),
    no("Unit", "Slug ~ 'a{2}{3}'", "unsupported-regex", "§8 a second quantifier"),
    no("Unit", "Slug ~ '*a'", "unsupported-regex", "§8 nothing to repeat"),
    no("Unit", "Slug ~ '(*a)'", "unsupported-regex", "§8 nothing to repeat"),
    no("Unit", "Slug ~ '^*'", "unsupported-regex", "§8 an anchor cannot be repeated"),
    no("Unit", "Slug ~ 'a)'", "unsupported-regex", "§8 unmatched )"),
    no("Unit", "Slug ~ '(a'", "unsupported-regex", "§8 missing )"),
    no("Unit", "Slug ~ '[a'", "unsupported-regex", "§8 missing ]"),
    no("Unit", "Slug ~ '[z-a]'", "unsupported-regex", "§8 a reversed range"),
    no("Unit", "Slug ~ '[a-c-e]'", "unsupported-regex", "§8 - in the middle"),
    no("Unit", "Slug ~ 'a\\d'", "strict-string", "§8/§6 no backslash"),
    ok("Unit", "Slug ~ '" + "a" * 1024 + "'", "§8 1024 bytes"),
    no("Unit", "Slug ~ '" + "a" * 1025 + "'", "limit-exceeded", "§8 1025 bytes"),
    ok("Unit", "Slug LIKE '" + "a" * 1024 + "'", "§8 LIKE: 1024 bytes"),
    no("Unit", "Slug LIKE '" + "a" * 1025 + "'", "limit-exceeded", "§8 LIKE: 1025 bytes"),
    ok("Unit", "Slug LIKE '(?i)['", "§8 LIKE takes any pattern"),
    # §9 truth tests and JSON paths
    ok("Mutation", f"MergeSourceID = '{U}' IS NOT FALSE", "§9 truth test"),
    ok("Mutation", f"MergeSourceID = '{U}' IS TRUE", "§9 truth test"),
    ok("Mutation", f"MergeSourceID = '{U}' IS FALSE", "§9 truth test"),
    ok("Mutation", f"MergeSourceID = '{U}' IS NOT TRUE", "§9 truth test"),
    ok("Unit", "Slug = 'a'IS TRUE", "§9 no whitespace required before it"),
    ok("Unit", "Slug IN ('a') IS TRUE AND Slug IS NULL IS FALSE", "§9 after IN and IS NULL"),
    no("Unit", "Slug = 'a' is not false", "strict-keyword", "§9 upper case"),
    no("Unit", "Slug = 'a' IS  TRUE", "strict-blank", "§9 single spaces"),
    no("Unit", "Slug = 'a' IS true", "strict-keyword", "§9 IS TRUE is upper case"),
    no("Unit", "Slug = 'a' IS TRUE IS TRUE", "unexpected-token", "§9 at most one"),
    no("Link", "AutoUpdate IS TRUE", "truth-of-operand", "§5 IS TRUE is not an operator"),
    ok("Link", "AutoUpdate = true", "§5 write = true"),
    ok("Resource", "Data.spec.containers.*.image = 'nginx'", "§9 * segment"),
    ok("Resource", "Data.spec.containers.?name=web.image = 'x'", "§9 associative match"),
    ok("Resource", "Data.metadata.annotations.a~1b = 'x'", "§9 ~1 for a dot"),
    ok("Resource", "Data.a.b.|c.d = 'x'", "§9 split path"),
    ok("Resource", "Data.a.|0 = 'x'", "§9 an index after the split"),
    ok("Resource", "Data.$ref = 'x'", "§9 a key starting with $"),
    ok("Resource", "Data._x = 'x'", "§9 a key starting with _"),
    ok("Resource", "Data.items.0.name = 'x'", "§9 an index"),
    ok("Resource", "Data.spec.replicas > 3", "§9 any literal"),
    ok("Resource", "Data.spec.enabled = true", "§9 any literal"),
    ok("Resource", "Data.metadata.name ~ '^web'", "§5 JSON takes every operator"),
    ok("Resource", "Data ? 'kind'", "§9 no path"),
    ok("Resource", "Data IS NULL", "§9 no path"),
    no("Resource", "Data.a.|b.* = 'x'", "bad-json-path", "§9 only keys and indexes after .|"),
    no("Resource", "Data.a.|b.?x=1 = 'x'", "bad-json-path", "§9 only keys and indexes after .|"),
    no("Resource", "Data.a.|b.|c = 'x'", "bad-json-path", "§9 one split"),
    no("Resource", "Data.a#b = 'x'", "unexpected-character", "§9 no embedded accessors"),
    no("Resource", "Data.@x = 'x'", "bad-path", "§9 no parameter bindings"),
    no("Resource", "Data." + ".".join(["abcdefgh"] * 60) + " = 'x'", "bad-json-path",
       "§9 512 bytes"),
    no("Resource", "Data." + "k" * 129 + " = 'x'", "bad-json-path", "§9 keys of 128 units"),
    ok("Unit", "Conflicts.*.Path = 'x'", "§9 Conflicts.*.Path (parser_test)"),
    ok("Trigger", "Arguments.x = 'a'", "§9 Trigger.Arguments"),
    ok("Revision", "Conflicts IS NOT NULL", "§9 Revision.Conflicts"),
    ok("ChangeOrder", "Releases.x = 'a'", "§0 ChangeOrder.Releases is JSON"),
    no("Unit", "Slug.x = 'a'", "bad-path", "§2 a string takes no key"),
    no("Unit", "FromLinkID.x ? 'a'", "bad-path", "§2 []uuid takes no key"),
]

# --- §5: the operator table, by data type --------------------------------------------

OPERATORS = ["=", "!=", "<", "<=", ">", ">=", "LIKE", "NOT LIKE", "ILIKE", "~~", "!~~", "~",
             "~*", "!~", "!~*", "?", "IS NULL", "IS NOT NULL"]  # fmt: skip
ACCEPTS = {
    "string": set(OPERATORS) - {"?"},
    "int": {"=", "!=", "<", "<=", ">", ">=", "IS NULL", "IS NOT NULL"},
    "bool": {"=", "!=", "<", "<=", ">", ">=", "IS NULL", "IS NOT NULL"},
    "time": {"=", "!=", "<", "<=", ">", ">=", "IS NULL", "IS NOT NULL"},
    "uuid": {"=", "!=", "IS NULL", "IS NOT NULL"},
    "[]uuid": {"?"},
    "JSON": set(OPERATORS),
}
# A literal each type takes (§6), so that only the operator decides.
OPERANDS = {"string": "'x'", "int": "1", "bool": "true", "time": "'2025-01-07'",
            "uuid": f"'{U}'", "[]uuid": f"'{U}'", "JSON": "'x'"}  # fmt: skip
PATTERN_OPERATORS = {"LIKE", "NOT LIKE", "ILIKE", "~~", "!~~", "~", "~*", "!~", "!~*"}
TABLE = json.loads(
    next(p for p in (Path(__file__).resolve().parents[2] / "shared" / "confighub",
                     Path("/work/shared/confighub")) if p.exists())  # fmt: skip
    .joinpath("where_attributes.json")
    .read_text("utf-8")
)["entityTypes"]
ENTITIES = ["Unit", "Space", "Revision", "Link", "Trigger", "Target", "ChangeOrder", "Mutation"]


def operator_cases() -> list[Case]:
    out = []
    for entity in ENTITIES:
        attrs = TABLE[entity]
        for data_type, accepted in ACCEPTS.items():
            name = next((n for n in sorted(attrs) if attrs[n]["dataType"] == data_type
                         and "." not in n), None)  # fmt: skip
            if name is None:
                continue
            for op in OPERATORS:
                if op.startswith("IS"):
                    text = f"{name} {op}"
                else:
                    operand = OPERANDS[data_type]
                    if data_type == "string" and op == "?":
                        operand = "'x'"
                    text = f"{name} {op} {operand}"
                code = None if op in accepted else "operator-not-allowed"
                out.append(Case(entity, text, code, f"§5 {data_type} takes {op}: {code is None}"))
    return out


ALL = CASES + operator_cases()


def test_the_cases_cover_the_issue() -> None:
    assert len(ALL) >= 300
    assert len({c.entity for c in ALL}) >= 8
    assert sum(c.code is None for c in ALL) > 100 and sum(c.code is not None for c in ALL) > 100


@pytest.mark.parametrize("case", ALL, ids=[f"{c.entity}:{c.text[:60]!r}" for c in ALL])
def test_strict_is_confighub(case: Case) -> None:
    schema = confighub.schema(case.entity)
    if case.code is None:
        expr = parse(case.text, schema=schema, cache=False)
        # Accepted strict text means the same at the extended level (issue 11).
        assert parse(case.text, schema=schema, extended=True, cache=False) == expr
        # and its canonical text is accepted again
        assert parse(expr.to_where(), schema=schema, cache=False) == expr
        return
    with pytest.raises(WhereError) as info:
        parse(case.text, schema=schema, cache=False)
    err = info.value
    assert err.code == case.code, f"{case.rule}: {err.code}: {err.message}"
    assert err.position is not None and err.message
    assert 0 <= err.position <= len(case.text)
    if err.code not in ("unexpected-token", "unexpected-character", "unexpected-end"):
        assert err.hint
    try:
        parse(case.text, schema=schema, extended=True, cache=False)
    except WhereError:
        pass
    else:
        assert "extended=True" in (err.hint or ""), f"{case.rule}: extended takes it; the hint says so"


MESSAGES = [
    # REFERENCE.md §12: the server's messages, which the strict level repeats.
    ("Unit", "Slug = 'a' and Slug = 'b'", "expected AND before `and Slug = 'b'`"),
    ("Unit", "Slug = 'a'AND Slug = 'b'", "expected AND before `AND Slug = 'b'`"),
    ("Unit", "Colour = 'blue'", "unrecognized attribute name `Colour`"),
    ("Unit", "HeadRevisionNum = 'one'", "expected int literal, got string"),
    ("Unit", "Labels.tier = 3", "expected map[string]string literal, got int"),
    ("Unit", "SpaceID = 5", "expected uuid literal, got int"),
    ("Unit", "Slug ? 'x'", "? is only supported for array and map containment expressions"),
    ("Unit", f"SpaceID > '{U}'", "invalid operator >; only =, !=, IS NULL, and IS NOT NULL are "
     "supported for UUID comparisons"),
    ("Unit", "FromLink.Slug = 'a'", "`FromLink` is a list, so `FromLink.Slug` does not name a "
     "single value; use `FromLink.*.Slug` to match when any element does, or filter the ids "
     "with `FromLinkID ? '<uuid>'`"),
    ("Unit", "UpstreamUnit.*.Slug = 'a'", "`UpstreamUnit` is not a list, so `UpstreamUnit.*.Slug` "
     "does not apply; use `UpstreamUnit.Slug`"),
    ("Unit", "Unit.*.Slug = 'a'", "`Unit` is the entity being filtered, not a list; use `Unit.Slug`"),
    ("Unit", "LEN(Slug) > 0", "length not supported for attribute `Slug` of type string"),
    ("Attestation", "Claims.x = 'a'", "unsupported StringMap Claims"),
    ("Unit", "Permissions ? 'x'", "Permissions requires .<action>.UserIDs syntax for containment "
     "expressions"),
    ("Unit", "Permissions.Admin.Users ? 'x'", "unsupported Permissions field Users; only UserIDs "
     "is supported"),
    ("Unit", "Slug = Labels", "Labels must be the first expression operand"),
    ("Unit", "Slug = HeadRevisionNum", "attribute HeadRevisionNum is not of type string"),
    ("Unit", "Slug = 'a\tb'", "string literal contains control character U+0009"),
    ("Unit", " AND ".join([TERM] * 101), "expression has more than 100 terms"),
    ("Unit", "SpaceID = 'x'", "expected a UUID literal, got 'x'"),
    ("Unit", "SpaceID IN ('x')", "invalid UUID IN clause value `'x'`"),
    ("Unit", "FromLinkID IN ('x')", "IN clause is not supported for column type []uuid"),
    ("Unit", "Slug ~ '(?i)x'", "unsupported regular expression `(?i)x`: `(?` constructs are not "
     "supported at offset 0"),
    ("Unit", "Slug ~ 'a)'", "unsupported regular expression `a)`: unmatched `)` at offset 1"),
    ("Unit", "Slug ~ '[z-a]'", "unsupported regular expression `[z-a]`: range `z-a` is out of order"),
    ("Unit", "Slug ~ 'a**'", "unsupported regular expression `a**`: `*` at offset 2 follows "
     "another quantifier"),
    ("Unit", "Slug ~ '" + "a" * 1025 + "'", "regular expression exceeds maximum length of 1024"),
    ("Unit", "Slug LIKE '" + "a" * 1025 + "'", "LIKE pattern exceeds maximum length of 1024"),
    ("Unit", "Slug = '" + "x" * 8192 + "'", "query string exceeds maximum length of 8192"),
    ("Unit", "CreatedAt > 'soon'", "invalid time literal \"soon\": expected a date such as "
     "'2025-02-18', or a time such as '2025-02-18T23:16:34' or '2025-02-18T23:16:34Z'"),
    ("Resource", "Data.a.|b.* = 'x'", "patterns are not supported here in Data paths; the right side "
     "of a split path (`.|`) admits only plain keys and indexes"),
]


@pytest.mark.parametrize("entity,text,message", MESSAGES)
def test_messages_say_what_confighub_says(entity: str, text: str, message: str) -> None:
    with pytest.raises(WhereError) as info:
        parse(text, schema=confighub.schema(entity), cache=False)
    assert info.value.message.startswith(message)


def test_an_empty_expression_keeps_everything() -> None:
    # REFERENCE.md §1.3: no terms, no error; nothing is filtered out.
    import sqlite3

    import wherelang

    units = [{"Slug": "a"}, {"Slug": "b"}]
    for text in ("", "   ", "\t"):
        assert list(wherelang.filter(units, text, schema="Unit")) == units
    clause = wherelang.to_sql(parse("", schema=confighub.schema("Unit")), dialect="sqlite")
    db = sqlite3.connect(":memory:")
    db.execute('CREATE TABLE "Unit" ("Slug" TEXT)')
    db.executemany('INSERT INTO "Unit" VALUES (?)', [("a",), ("b",)])
    count = db.execute(f'SELECT COUNT(*) FROM "Unit" WHERE {clause.sql}', clause.params).fetchone()
    assert count == (2,)


def test_strategies_draw_the_new_forms_and_strict_text_reparses() -> None:
    # issue 11: expressions_for(schema) at the strict level prints text the strict parser
    # accepts, typed as validation types the tree, and draws prefixes, `*`, gate keys,
    # JSON paths and Permissions.
    from hypothesis import HealthCheck, find, given, settings
    from hypothesis.errors import NoSuchExample

    from wherelang.strategies import expressions_for
    from wherelang.validate import validate

    seen: set[str] = set()
    forms = {"prefix": ("UpstreamUnit.", "Space.", "Organization.", "Target."), "each": (".*.",),
             "gate": ("ApplyGates.", "ValidationErrors.", "ValidationWarnings."), "json": ("Data.",),
             "permissions": (".UserIDs",), "own name": ("Unit.",),
             "qualified": ("FunctionInvocation.",)}  # fmt: skip
    for entity in ("Unit", "Resource", "Mutation", "Space", "Revision", "Link", "Trigger", "Target"):
        schema = confighub.schema(entity)

        @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)  # fmt: skip
        @given(expressions_for(schema))
        def round_trip(expr: object) -> None:
            text = str(expr)
            assert parse(text, schema=schema, cache=False) == validate(expr, schema, extended=False)  # type: ignore[arg-type]
            seen.update(name for name, marks in forms.items() if any(m in text for m in marks))

        round_trip()
    # Which forms 200 draws happen to hold depends on what other tests drew before (the
    # strategies' choices are weighted by shared state), so a form not seen yet is
    # searched for: the strategies must be able to draw each of them.
    for name in set(forms) - seen:
        marks = forms[name]
        for entity in ("Unit", "Space", "Mutation", "Resource"):
            try:
                find(expressions_for(confighub.schema(entity)),
                     lambda e, marks=marks: any(m in str(e) for m in marks),  # type: ignore[misc]
                     settings=settings(max_examples=5000, database=None, derandomize=True,
                                       suppress_health_check=list(HealthCheck)))  # fmt: skip
            except NoSuchExample:
                continue
            seen.add(name)
            break
    assert seen == set(forms), set(forms) - seen
